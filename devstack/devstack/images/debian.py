"""A minimal Debian root file system, made once by debootstrap and kept in the cache.

``debootstrap --variant=minbase`` installs only essential packages (plus those asked
for) from the machine's own Debian mirror. What a container never needs is removed:
package caches, documentation, device nodes (the runtime provides /dev).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from devstack import process, progress
from devstack.errors import ComponentError
from devstack.images.spec import DebianBase
from devstack.paths import cache_root
from devstack.toolchain import apt_install

_DEFAULT_MIRROR = "http://deb.debian.org/debian"
_COMPLETE = ".havre-complete"
#: Removed from the root file system: caches, docs, and what the runtime provides.
_PRUNE = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "var/log",
    "dev",
    "run",
    "tmp",
)


def mirror() -> str:
    """The Debian mirror this machine's apt uses (the first ``URIs:``/``deb`` line)."""
    sources = sorted(Path("/etc/apt").glob("sources.list.d/*.sources"))
    sources += [Path("/etc/apt/sources.list")]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        found = re.search(r"^URIs:\s*(\S+/debian)\s*$", text, re.M) or re.search(
            r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+/debian)\s", text, re.M
        )
        if found:
            return found.group(1)
    return _DEFAULT_MIRROR


def rootfs(base: DebianBase, *, component: str, log: Path) -> Path:
    """The cached root file system of ``base``, made on first use (minutes, downloads)."""
    key = hashlib.sha256(base.fingerprint().encode()).hexdigest()[:12]
    final = cache_root() / "images" / "debian" / f"{base.suite}-{key}"
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{final.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / _COMPLETE).exists():
            return final / "rootfs"
        if shutil.which("debootstrap") is None:
            apt_install(component, ["debootstrap"], log=log)
        staging = final.with_name(final.name + ".staging")
        _remove(staging)
        target = staging / "rootfs"
        target.mkdir(parents=True)
        argv = ["debootstrap", "--variant=minbase"]
        if base.packages:
            argv.append("--include=" + ",".join(base.packages))
        argv += [base.suite, str(target), mirror()]
        what = f"Debian {base.suite} root file system ({', '.join(base.packages) or 'minbase'})"
        try:
            with progress.step(component, what):
                process.run(component, argv, log=log, timeout=1800)
        finally:
            _unmount_below(target)
        for relative in _PRUNE:
            path = target / relative
            _remove(path)
            path.mkdir(mode=0o1777 if relative == "tmp" else 0o755)
        (target / "etc" / "machine-id").write_text("")
        (target / "etc" / "resolv.conf").unlink(missing_ok=True)
        (staging / _COMPLETE).write_text(base.fingerprint())
        _remove(final)
        staging.rename(final)
    return final / "rootfs"


def _unmount_below(root: Path) -> None:
    """debootstrap mounts /proc and /sys in the target; a failed run may leave them."""
    with Path("/proc/self/mountinfo").open() as info:
        points = [line.split()[4] for line in info]
    for point in sorted((p for p in points if p.startswith(f"{root}/")), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        _unmount_below(path)
        shutil.rmtree(path)
    if path.exists():
        raise ComponentError("images", f"cannot remove {path}")
