"""The helm client, built from its Go module; a tool, not a server (nothing keeps running)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, ClassVar

from devstack.component import Component
from devstack.paths import cache_root
from devstack.toolchain import go_install

MODULE = "helm.sh/helm/v3/cmd/helm"
#: Kubernetes version helm assumes when rendering offline; upstream's Makefile derives it
#: from the client-go it builds against (v0.37 for helm v3.22).
KUBE_MAJOR, KUBE_MINOR = "1", "37"


def _ldflags(version: str) -> str:
    # A plain `go install` reports "v3.22" and Kubernetes 1.20; set what a release sets.
    return " ".join(
        [
            "-s -w",
            f"-X helm.sh/helm/v3/internal/version.version={version}",
            f"-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor={KUBE_MAJOR}",
            f"-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor={KUBE_MINOR}",
            f"-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor={KUBE_MAJOR}",
            f"-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor={KUBE_MINOR}",
        ]
    )


class Helm(Component):
    """``helm`` at a pinned version, its config, cache and data kept inside the stack."""

    name: ClassVar[str] = "helm"
    version: ClassVar[str] = "v3.22.0"
    ready_timeout: ClassVar[float] = 30.0
    long_running: ClassVar[bool] = False

    @property
    def binary(self) -> Path:
        """The ``helm`` program built for this version."""
        return cache_root() / self.name / self.version / "bin" / "helm"

    def env(self) -> dict[str, str]:
        """Environment that keeps helm's repositories, cache and plugins inside the stack."""
        return {
            "HELM_CONFIG_HOME": str(self.dir / "config"),
            "HELM_CACHE_HOME": str(self.dir / "cache"),
            "HELM_DATA_HOME": str(self.dir / "data"),
        }

    def reported_version(self) -> str:
        """The version the built program reports about itself ("" when it cannot run)."""
        try:
            result = subprocess.run(
                [str(self.binary), "version", "--template", "{{.Version}}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
                env={"PATH": "/usr/bin:/bin", **self.env()},
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return result.stdout.strip() if result.returncode == 0 else ""

    def is_built(self) -> bool:
        """True when the cached program runs and reports this exact version."""
        return self.binary.is_file() and self.reported_version() == self.version

    def build(self) -> None:
        """Build helm with the version stamped in, as a release build does (skipped when cached)."""
        if self.is_built():
            return
        go_install(
            self.name,
            MODULE,
            self.version,
            self.binary,
            log=self.log,
            ldflags=_ldflags(self.version),
        )

    def start(self) -> None:
        """Nothing to run: helm is invoked by its users."""

    def probe(self) -> bool:
        """``helm version`` runs and reports the pinned version."""
        return self.reported_version() == self.version

    def info(self) -> dict[str, Any]:
        """Path of the helm program and the environment that isolates it."""
        return {"helm": str(self.binary), "env": self.env()}
