"""Karmada's hub programs built once from their Go module, and the release's CRDs.

``devstack/karmada`` is a wrapper module pinning ``github.com/karmada-io/karmada`` (a plain
``go install`` of a command fails: the module proxy refuses the version list); the four
hub commands are built from it once into ``~/.cache/havre/karmada/<version>/bin``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from devstack import process
from devstack.errors import ComponentError
from devstack.paths import REPO_ROOT, cache_root

SOURCE = REPO_ROOT / "devstack" / "karmada"
MODULE = "github.com/karmada-io/karmada"
COMMANDS = ("aggregated-apiserver", "webhook", "controller-manager", "scheduler")
# CRD folders of the release the hub needs (policies, bindings and works, interpreters).
CRD_GROUPS = ("policy", "work", "config", "apps", "autoscaling", "networking", "remedy")
BUILD_TIMEOUT = 3 * 3600.0


def karmada_version() -> str:
    """The Karmada release the wrapper module requires."""
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(MODULE)} v(\S+)", _go_mod(), re.M)
    if found is None:
        raise ComponentError("karmada", f"no {MODULE} requirement in {SOURCE / 'go.mod'}")
    return "v" + found.group(1)


def _go_mod() -> str:
    return (SOURCE / "go.mod").read_text()


class KarmadaBuild:
    """The cached build of the four hub commands and the release's CRDs."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.version = karmada_version()
        self.root = cache_root() / "karmada" / self.version

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def crds(self) -> Path:
        """The release's CustomResourceDefinitions, copied from the module at build time."""
        return self.root / "crds"

    def program(self, command: str) -> Path:
        return self.bin / command

    def is_built(self) -> bool:
        return all(os.access(self.program(c), os.X_OK) for c in COMMANDS) and any(
            self.crds.glob("*.yaml")
        )

    def build(self) -> None:
        """``go build`` the commands (minutes, once) and copy the CRDs out of the module."""
        if self.is_built():
            return
        go = shutil.which("go")
        if go is None:
            raise ComponentError("karmada", "the Go toolchain (`go`) is not on PATH", self.log)
        partial = self.root / f".build-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "bin").mkdir(parents=True)
        (partial / "crds").mkdir()
        try:
            # Binaries are named after their folder, hence a folder of their own.
            argv = [go, "build", "-trimpath", "-buildvcs=false", "-o", str(partial / "bin") + "/"]
            argv += [f"{MODULE}/cmd/{c}" for c in COMMANDS]
            process.run("karmada", argv, log=self.log, cwd=SOURCE, timeout=BUILD_TIMEOUT)
            module_dir = subprocess.run(
                [go, "list", "-m", "-f", "{{.Dir}}", MODULE],
                cwd=SOURCE,
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            ).stdout.strip()
            bases = Path(module_dir) / "charts" / "karmada" / "_crds" / "bases"
            for group in CRD_GROUPS:
                for crd in sorted((bases / group).glob("*.yaml")):
                    shutil.copyfile(crd, partial / "crds" / crd.name)
            for sub in ("bin", "crds"):
                target = self.root / sub
                shutil.rmtree(target, ignore_errors=True)
                (partial / sub).replace(target)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ComponentError("karmada", f"build failed: {exc}", self.log) from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
