"""One line per long step on stderr: builds as they start and end, downloads with their size.

A cold ``make stack-up`` or ``make demo`` builds for many minutes; these lines say what
is happening and how long each part took. ``HAVRE_QUIET=1`` silences them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def say(component: str, message: str) -> None:
    """Print ``[component] message`` at once (stderr, unbuffered)."""
    if os.environ.get("HAVRE_QUIET"):
        return
    print(f"[{component}] {message}", file=sys.stderr, flush=True)


@contextmanager
def step(component: str, what: str) -> Iterator[None]:
    """Announce ``what`` when it starts and when it ends (or fails), with its elapsed time."""
    say(component, f"{what}: started")
    started = time.monotonic()
    try:
        yield
    except BaseException:
        say(component, f"{what}: failed after {time.monotonic() - started:.0f}s")
        raise
    say(component, f"{what}: done in {time.monotonic() - started:.0f}s")


def size(nbytes: int | None) -> str:
    """A byte count for people: ``12.3 MB``; ``unknown size`` when None."""
    if nbytes is None:
        return "unknown size"
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{nbytes} B"
        value /= 1000
    return f"{value:.1f} GB"
