"""Bounded readiness waits that fail with the component's log."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from devstack.errors import ComponentError
from devstack.process import alive


def wait_ready(
    name: str,
    probe: Callable[[], bool],
    *,
    timeout: float,
    log: Path,
    pid: int | None = None,
    interval: float = 0.5,
) -> float:
    """Poll ``probe`` until it returns True; return seconds waited.

    Fails early when the watched process exits, and after ``timeout`` seconds otherwise.
    A probe that raises counts as not ready yet.
    """
    start = time.monotonic()
    last_error = ""
    while True:
        try:
            if probe():
                return time.monotonic() - start
        except Exception as exc:  # a probe failure only means "not ready yet"
            last_error = f"{type(exc).__name__}: {exc}"
        if pid is not None and not alive(pid):
            raise ComponentError(name, "process exited before becoming ready", log)
        if time.monotonic() - start > timeout:
            detail = f" (last probe error: {last_error})" if last_error else ""
            raise ComponentError(name, f"not ready after {timeout:.0f}s{detail}", log)
        time.sleep(interval)
