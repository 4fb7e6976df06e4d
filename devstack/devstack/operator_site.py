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


def package_copy(target: Path) -> Path:
    """A clean copy of the ``havre`` package (no caches), at ``target/havre``."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(PACKAGE, target / "havre", ignore=shutil.ignore_patterns("__pycache__"))
    return target
