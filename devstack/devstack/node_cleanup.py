"""Leave nothing of a node behind: its pods' processes and cgroups, and its mounts.

Pods' processes are found through the kubelet's cgroup root (``/havre-<slot>``), which
holds every pod's cgroup: they are killed, and the cgroups removed, deepest first, in
every hierarchy. Mounts (container root file systems, secret volumes, network namespace
files, shared memory) all lie under the stack's ``node`` folder and are unmounted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    """Every cgroup hierarchy mounted on this machine (v1 controllers, and v2 if present)."""
    if (CGROUP_FS / "cgroup.controllers").exists():
        return [CGROUP_FS]  # cgroup v2 only
    return sorted(p for p in CGROUP_FS.iterdir() if p.is_dir() and not p.is_symlink())


def create_root(root: str) -> None:
    """Create the kubelet's cgroup root in every hierarchy (it must exist before the kubelet)."""
    for hierarchy in hierarchies():
        if hierarchy.name == "unified" and hierarchy != CGROUP_FS:
            continue
        path = hierarchy / root.lstrip("/")
        path.mkdir(exist_ok=True)
        if hierarchy.name == "cpuset":
            # A new cpuset is empty: give it its parent's CPUs and memory nodes.
            for knob in ("cpuset.cpus", "cpuset.mems"):
                (path / knob).write_text((hierarchy / knob).read_text())


def cgroups_of(root: str) -> list[Path]:
    """Every cgroup directory at or below ``root``, in any hierarchy, deepest first."""
    found: list[Path] = []
    for hierarchy in hierarchies():
        top = hierarchy / root.lstrip("/")
        if top.is_dir():
            found += [Path(dirpath) for dirpath, _, _ in os.walk(top)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def _pids(cgroups: list[Path]) -> set[int]:
    pids: set[int] = set()
    for cgroup in cgroups:
        with contextlib.suppress(OSError):
            pids |= {int(p) for p in (cgroup / "cgroup.procs").read_text().split()}
    return pids


def kill_pods(root: str, timeout: float = 20.0) -> None:
    """SIGKILL every process in the cgroup root until none is left (frozen ones too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = _pids(cgroups_of(root))
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


def remove_cgroups(root: str, timeout: float = 20.0) -> list[Path]:
    """Remove the cgroup root and everything below it; return what could not be removed."""
    deadline = time.monotonic() + timeout
    left = cgroups_of(root)
    while left and time.monotonic() < deadline:
        for cgroup in left:
            with contextlib.suppress(OSError):
                cgroup.rmdir()
        left = cgroups_of(root)
        if left:
            time.sleep(0.2)
    return left


def mounts_below(root: Path) -> list[str]:
    """Mount points at or below ``root`` (this process's view is the machine's)."""
    prefix = f"{root.resolve()}/"
    points = []
    with Path("/proc/self/mountinfo").open() as info:
        for line in info:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix) or point == str(root.resolve()):
                points.append(point)
    return points


def unmount_below(root: Path, timeout: float = 20.0) -> list[str]:
    """Unmount everything at or below ``root``, deepest first; return what is left."""
    deadline = time.monotonic() + timeout
    points = mounts_below(root)
    while points and time.monotonic() < deadline:
        for point in sorted(points, key=len, reverse=True):
            subprocess.run(["umount", point], capture_output=True, check=False)
        points = mounts_below(root)
        if points:
            for point in sorted(points, key=len, reverse=True):
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
            time.sleep(0.2)
            points = mounts_below(root)
    return points
