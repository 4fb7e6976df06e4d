"""The operator's Python packages for the local image, from the same pins as the Dockerfile.

``pip install --target`` for the image's platform (CPython 3.11 on glibc, x86-64), wheels
only and without resolving anything, exactly as the Dockerfile's build stage installs
``operator/requirements.txt``. Nothing of this machine's interpreter goes into the image:
the image's own Python 3.11 imports the folders through PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from devstack import process
from devstack.paths import REPO_ROOT, cache_root

REQUIREMENTS = REPO_ROOT / "operator" / "requirements.txt"
PACKAGE = REPO_ROOT / "operator" / "havre"
#: Where the image holds them (PYTHONPATH order: the operator, then its dependencies).
IMAGE_APP = "/opt/havre/app"
IMAGE_SITE = "/opt/havre/site-packages"
_PLATFORM = [
    "--implementation", "cp",
    "--python-version", "3.11",
    "--abi", "cp311",
    "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux2014_x86_64",
    "--platform", "manylinux_2_17_x86_64",
    "--only-binary=:all:",
    "--no-deps",
]  # fmt: skip


def dependencies(component: str, log: Path) -> Path:
    """Every pinned package, unpacked (cached by the pin list; minutes the first time)."""
    pins = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    target = cache_root() / "operator-image" / pins / "site-packages"
    if (target / ".complete").is_file():
        return target
    partial = target.with_name("site-packages.partial")
    shutil.rmtree(partial, ignore_errors=True)
    process.run(
        component,
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--target", str(partial), *_PLATFORM, "-r", str(REQUIREMENTS),
        ],
        log=log,
        timeout=1800,
    )  # fmt: skip
    shutil.rmtree(partial / "bin", ignore_errors=True)  # console scripts for this machine
    (partial / ".complete").write_text("")
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


def package_snapshot() -> Path:
    """A clean copy of the ``havre`` package (no caches) under a folder named by the digest
    of its files' paths and contents; the folder holding ``havre``.

    Made once per content: the image layer that copies it (fingerprinted by path, size,
    mode and modification time) is then the same for the same code in any checkout, and a
    changed file makes a new folder, hence a new layer and a new image tag.
    """
    digest = hashlib.sha256()
    files = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and not _cached(p))
    for path in files:
        digest.update(f"{path.relative_to(PACKAGE)}\0{path.stat().st_mode & 0o111:o}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    target = cache_root() / "operator-image" / "app" / digest.hexdigest()[:16]
    if (target / ".complete").is_file():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE, partial / "havre", ignore=ignore)
    (partial / ".complete").write_text("")
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


def _cached(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"
