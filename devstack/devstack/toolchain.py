"""Obtain upstream programs through the machine's toolchains: ``go install`` and Debian's apt.

Both are what this machine can reach; each failure names the component and the log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack import process
from devstack.errors import ComponentError

_apt_lock = threading.Lock()
_apt_updated = False


def go_install(
    component: str,
    module: str,
    version: str,
    binary: Path,
    *,
    log: Path,
    ldflags: str = "",
    env: Mapping[str, str] | None = None,
) -> None:
    """Build ``module@version`` with ``go install`` and place the program at ``binary``.

    The build goes to a private GOBIN and is renamed into place at the end, so an
    interrupted build never leaves a ``binary`` that looks complete.
    """
    if shutil.which("go") is None:
        raise ComponentError(component, "the Go toolchain (`go`) is not on PATH", log)
    gobin = binary.parent.with_name(f".gobin-{os.getpid()}")
    shutil.rmtree(gobin, ignore_errors=True)
    gobin.mkdir(parents=True)
    argv = ["go", "install"]
    if ldflags:
        argv += ["-ldflags", ldflags]
    argv.append(f"{module}@{version}")
    try:
        full_env = {**(env or {}), "GOBIN": str(gobin)}
        process.run(component, argv, log=log, env=full_env, timeout=3600)
        built = gobin / binary.name
        if not built.is_file():
            raise ComponentError(component, f"go install produced no {binary.name} in {gobin}", log)
        binary.parent.mkdir(parents=True, exist_ok=True)
        built.replace(binary)
    finally:
        shutil.rmtree(gobin, ignore_errors=True)


def dpkg_version(package: str) -> str | None:
    """The installed version of a Debian package, or None when it is not installed."""
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Version}", package],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    status, _, version = result.stdout.partition("|")
    return version if result.returncode == 0 and status.startswith("ii") else None


def apt_install(component: str, packages: Sequence[str], *, log: Path) -> None:
    """Install Debian packages with apt-get (index refreshed once per process)."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        raise ComponentError(component, f"apt-get not found; install {' '.join(packages)}", log)
    if os.geteuid() != 0:
        raise ComponentError(
            component, f"installing {' '.join(packages)} needs root; install them first", log
        )
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    # apt holds a global lock: two components installing at once would fail each other.
    with _apt_lock:
        try:
            if not _apt_updated:
                process.run(component, ["apt-get", "update"], log=log, env=env, timeout=600)
                _apt_updated = True
            process.run(
                component,
                # --no-upgrade: never move a package other programs may already be using.
                ["apt-get", "install", "-y", "--no-install-recommends", "--no-upgrade", *packages],
                log=log,
                env=env,
                timeout=1200,
            )
        except ComponentError as exc:
            step = str(exc).splitlines()[0]
            raise ComponentError(
                component, f"could not install {' '.join(packages)} with apt-get: {step}", log
            ) from exc
