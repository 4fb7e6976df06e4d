"""chart-testing (``ct``), built from a wrapper Go module pinning it with a checked go.sum
(``go install ct@version`` needs the proxy's version list, which is not served here)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, ClassVar

from devstack import process
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.paths import REPO_ROOT, cache_root

SOURCE = REPO_ROOT / "devstack" / "tools" / "chart-testing"
PACKAGE = "github.com/helm/chart-testing/v3/ct"


def pinned_version() -> str:
    found = re.search(r"github\.com/helm/chart-testing/v3 (v\S+)", (SOURCE / "go.mod").read_text())
    if found is None:
        raise ComponentError("ct", f"no chart-testing requirement in {SOURCE / 'go.mod'}")
    return found.group(1)


class ChartTesting(Component):
    """``ct`` at the version pinned in devstack/tools/chart-testing/go.mod."""

    name: ClassVar[str] = "ct"
    version: ClassVar[str] = "v3.14.0"
    ready_timeout: ClassVar[float] = 30.0
    long_running: ClassVar[bool] = False

    @property
    def binary(self) -> Path:
        return cache_root() / self.name / self.version / "bin" / "ct"

    def is_built(self) -> bool:
        return self.binary.is_file()

    def build(self) -> None:
        if self.is_built():
            return
        if pinned_version() != self.version:
            raise ComponentError(
                self.name, f"{SOURCE / 'go.mod'} pins {pinned_version()}, not {self.version}"
            )
        go = shutil.which("go")
        if go is None:
            raise ComponentError(self.name, "the Go toolchain (`go`) is not on PATH", self.log)
        partial = self.binary.with_name("ct.partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        argv = [go, "build", "-trimpath", "-buildvcs=false", "-o", str(partial), PACKAGE]
        process.run(self.name, argv, log=self.log, cwd=SOURCE, timeout=1800)
        partial.replace(self.binary)

    def start(self) -> None:
        """Nothing to run: a tool."""

    def probe(self) -> bool:
        return self.is_built()

    def info(self) -> dict[str, Any]:
        return {"ct": str(self.binary)}
