"""Start, find and stop the stack's processes.

Every process the stack starts carries ``HAVRE_STACK_MARK=<state dir>`` in its environment;
children inherit it (Java forks, PostgreSQL backends), so ``stop`` and the leftover check
find every process of a stack by reading ``/proc/<pid>/environ``, not by trusting pid files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from devstack.errors import ComponentError

MARK = "HAVRE_STACK_MARK"


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    state: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` in its own session, output appended to ``log``; return its pid."""
    full_env = _environment(env)
    full_env[MARK] = str(state)
    with _log_of("start", argv, log) as out:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ComponentError(name, f"cannot start {argv[0]}: {exc}", log) from exc
    (state / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def run(
    name: str,
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
) -> None:
    """Run a build or setup step to completion, output appended to ``log``; raise on failure."""
    with _log_of("run", argv, log) as out:
        try:
            result = subprocess.run(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_environment(env),
                cwd=cwd,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ComponentError(name, f"{argv[0]} timed out after {timeout:.0f}s", log) from exc
        except OSError as exc:
            raise ComponentError(name, f"cannot run {argv[0]}: {exc}", log) from exc
    if result.returncode != 0:
        raise ComponentError(name, f"{' '.join(argv[:3])} exited with {result.returncode}", log)


def alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def pid_of(name: str, state: Path) -> int | None:
    """The recorded pid of a component, if it is still running."""
    pidfile = state / f"{name}.pid"
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def marked_pids(state: Path) -> list[int]:
    """Every live process started (directly or not) by the stack whose state dir is ``state``,
    or by a stack whose state dir lies inside it (the federation's hub and members)."""
    needle = f"{MARK}={state}".encode()
    nested = needle + b"/"
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        marks = [v for v in environ.split(b"\0") if v == needle or v.startswith(nested)]
        if marks and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def terminate(pids: Sequence[int], grace: float = 20.0) -> None:
    """SIGTERM the process groups of ``pids``, then SIGKILL whatever is left after ``grace``."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)


def stop_component(name: str, state: Path, grace: float = 20.0) -> None:
    """Stop one component: its recorded process group, and any marked process of it left."""
    pid = pid_of(name, state)
    if pid is not None:
        terminate([pid], grace)
    with contextlib.suppress(FileNotFoundError):
        (state / f"{name}.pid").unlink()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment with ``env`` on top."""
    return {**os.environ, **(env or {})}


@contextlib.contextmanager
def _log_of(verb: str, argv: Sequence[str], log: Path) -> Iterator[BinaryIO]:
    """``log`` opened for appending, after a line saying what is started (``verb``) and when:
    the output of every start and run of a component lands in one file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n===== {time.strftime('%H:%M:%S')} {verb} {' '.join(argv)}\n".encode())
        out.flush()
        yield out
