"""Errors that name the component, its log file and the end of that log."""

from __future__ import annotations

from pathlib import Path

LOG_TAIL_LINES = 40


def tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of a log file, or a note when there is none."""
    if path is None or not path.exists():
        return "(no log file)"
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        text = handle.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


class ComponentError(RuntimeError):
    """A component failed to build, start or become ready."""

    def __init__(self, component: str, message: str, log: Path | None = None) -> None:
        self.component = component
        self.log = log
        where = f"\n  log: {log}\n  last lines:\n{_indent(tail(log))}" if log else ""
        super().__init__(f"[{component}] {message}{where}")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
