"""What running nodes change on the whole machine, recorded so the last one to stop restores it.

The kubelet sets machine-wide kernel settings when it starts (``vm.overcommit_memory``,
``kernel.panic``, ``kernel.panic_on_oops`` and three more), and containerd 1.6 keeps its
shims' sockets in ``/run/containerd/s`` and the CNI library its cache in ``/var/lib/cni``,
whatever their configuration says. Several stacks may run a node at once, so the values
before the first node started, and which of those directories existed, are kept in
``/run/havre-node/ledger.json`` (tmpfs: gone at reboot, like the settings themselves) with
the stacks using them; the last stack to stop puts everything back. The inotify instance
limit, which a node exhausts on a busy machine, is raised the same way and put back.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LEDGER_DIR = Path(os.environ.get("HAVRE_NODE_LEDGER_DIR", "/run/havre-node"))
#: The settings the kubelet changes (pkg/kubelet/cm/container_manager_linux.go).
KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
#: Machine-wide limits a node needs raised: every root process of the machine shares the
#: inotify instances (128 by default), and the kubelet, kube-proxy and containerd each
#: take several (kind documents the same need).
RAISED = {"fs/inotify/max_user_instances": 1024}
#: Machine paths containerd 1.6 and the CNI library use whatever the configuration says.
SHARED_DIRS = ("/run/containerd", "/var/lib/cni", "/var/log/containers")


@contextlib.contextmanager
def _locked() -> Iterator[dict[str, Any]]:
    """The ledger, under a machine-wide lock. The last user removes the ledger's folder, so a
    lock taken on a file removed meanwhile is dropped and taken again on the new one."""
    while True:
        LEDGER_DIR.mkdir(parents=True, exist_ok=True)
        lock_path = LEDGER_DIR / "lock"
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                same = lock_path.stat().st_ino == os.fstat(lock.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            path = LEDGER_DIR / "ledger.json"
            ledger: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
            yield ledger
            if ledger.get("users"):
                path.write_text(json.dumps(ledger, indent=2, sort_keys=True))
            else:
                path.unlink(missing_ok=True)
                lock_path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    LEDGER_DIR.rmdir()
            return


def _read(key: str) -> str:
    return (Path("/proc/sys") / key).read_text().strip()


def _write(key: str, value: str) -> None:
    with contextlib.suppress(OSError):
        (Path("/proc/sys") / key).write_text(value)


class SlotTaken(RuntimeError):
    """Another running stack's node uses this stack's network slot."""


def slot_holder(slot: int, state: Path) -> str | None:
    """The state folder of another stack whose running node holds ``slot``, if any.

    A stack's node slot (its pod range, bridge, cgroup and nftables names) derives from its
    port offset, and offsets that differ by a multiple of the slot count share one: such a
    stack must neither start a node there nor tear the other's down when it stops."""
    ledger = recorded()
    users: dict[str, int] = ledger.get("users", {})
    holder = ledger.get("slots", {}).get(str(slot))
    if holder is None or holder == str(state) or holder not in users:
        return None
    return str(holder) if Path(f"/proc/{users[holder]}").exists() else None


def join(state: Path, holder: int, slot: int) -> None:
    """Record this stack as a node user holding ``slot``; the first one records the machine
    as it is. Raises ``SlotTaken`` when a running node of another stack holds the slot."""
    with _locked() as ledger:
        users: dict[str, int] = ledger.setdefault("users", {})
        _forget_dead(users)
        slots: dict[str, str] = ledger.setdefault("slots", {})
        for key, owner in list(slots.items()):
            if owner not in users:
                del slots[key]
        other = slots.get(str(slot))
        if other is not None and other != str(state):
            raise SlotTaken(
                f"node slot {slot} is held by the running stack at {other}: its port offset "
                f"shares this one's slot ((offset // 10) % 190); pick another HAVRE_PORT_OFFSET"
            )
        slots[str(slot)] = str(state)
        if not users:
            ledger["sysctls"] = {key: _read(key) for key in (*KUBELET_SYSCTLS, *RAISED)}
            ledger["dirs_before"] = [d for d in SHARED_DIRS if Path(d).exists()]
        users[str(state)] = holder
        for key, wanted in RAISED.items():
            if int(_read(key)) < wanted:
                _write(key, str(wanted))


def leave(state: Path, network: str) -> None:
    """Forget this stack's node; the last one restores the settings and removes the
    directories that did not exist before the first node (and the CNI cache entries and
    shim sockets of this stack's network, which are its own)."""
    _remove_cni_cache(network)
    if not (LEDGER_DIR / "ledger.json").exists():
        return  # this machine runs no node (this stack never started one)
    with _locked() as ledger:
        users: dict[str, int] = ledger.setdefault("users", {})
        users.pop(str(state), None)
        _forget_dead(users)
        slots: dict[str, str] = ledger.setdefault("slots", {})
        for key, owner in list(slots.items()):
            if owner not in users:
                del slots[key]
        if users:
            return
        for key, value in ledger.get("sysctls", {}).items():
            _write(key, value)
        before = set(ledger.get("dirs_before", SHARED_DIRS))
        for directory in SHARED_DIRS:
            if directory not in before:
                shutil.rmtree(directory, ignore_errors=True)


def _forget_dead(users: dict[str, int]) -> None:
    """A stack whose namespace holder is gone (a crash, a reboot) no longer counts."""
    for state, holder in list(users.items()):
        if not Path(f"/proc/{holder}").exists():
            del users[state]


def _remove_cni_cache(network: str) -> None:
    """Entries ``<network>-<sandbox>-eth0`` are ours, and so is each sandbox's loopback."""
    results = Path("/var/lib/cni/results")
    if results.is_dir():
        for entry in results.glob(f"{network}-*-eth0"):
            sandbox = entry.name[len(network) + 1 : -len("-eth0")]
            (results / f"cni-loopback-{sandbox}-lo").unlink(missing_ok=True)
            entry.unlink(missing_ok=True)


def recorded() -> dict[str, Any]:
    """The ledger as it stands (empty when no node runs on this machine)."""
    path = LEDGER_DIR / "ledger.json"
    loaded: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    return loaded


def current_sysctls() -> dict[str, str]:
    return {key: _read(key) for key in (*KUBELET_SYSCTLS, *RAISED)}
