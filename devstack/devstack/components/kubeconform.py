"""kubeconform, built from its Go module, with Kubernetes' schemas bundled for offline use."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from devstack import kube_schemas
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.paths import cache_root
from devstack.toolchain import go_install

MODULE = "github.com/yannh/kubeconform/cmd/kubeconform"


class Kubeconform(Component):
    """``kubeconform`` and a schema folder it reads without any network."""

    name: ClassVar[str] = "kubeconform"
    version: ClassVar[str] = "v0.8.0"
    ready_timeout: ClassVar[float] = 30.0
    long_running: ClassVar[bool] = False

    @property
    def home(self) -> Path:
        return cache_root() / self.name / self.version

    @property
    def binary(self) -> Path:
        return self.home / "bin" / "kubeconform"

    @property
    def schemas(self) -> Path:
        """Kubernetes' strict schemas, laid out for ``{{.ResourceKind}}{{.KindSuffix}}.json``."""
        return cache_root() / self.name / "schemas" / f"{kube_schemas.KUBE_SCHEMA_VERSION}-strict"

    def is_built(self) -> bool:
        return self.binary.is_file() and (self.schemas / "_definitions.json").is_file()

    def build(self) -> None:
        """Build the program and bundle the schemas (each skipped when cached)."""
        if not self.binary.is_file():
            go_install(self.name, MODULE, self.version, self.binary, log=self.log)
        if not (self.schemas / "_definitions.json").is_file():
            try:
                source = kube_schemas.wheel_schemas()
            except (ImportError, FileNotFoundError) as exc:
                raise ComponentError(
                    self.name, f"Kubernetes schemas unavailable ({exc}); run `make venv`", self.log
                ) from exc
            partial = self.schemas.with_name(self.schemas.name + ".partial")
            kube_schemas.bundle_kubernetes(source, partial)
            partial.replace(self.schemas)

    def start(self) -> None:
        """Nothing to run: a tool."""

    def probe(self) -> bool:
        return self.is_built()

    def info(self) -> dict[str, Any]:
        return {"kubeconform": str(self.binary), "schemas": str(self.schemas)}
