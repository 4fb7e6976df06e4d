"""Events a reconcile posts, pure: one when ``Ready`` changes (with the condition's reason),
else one listing what was repaired. An idle reconcile posts nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from havre.pipeline.conditions import Check


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


def workspace_events(
    old_status: Mapping[str, Any], checks: Sequence[Check], changes: Sequence[str]
) -> list[Event]:
    """An Event when Ready changes (same reason as the condition), else one per repair."""
    old_ready = next((c for c in old_status.get("conditions", []) if c["type"] == "Ready"), None)
    ready = next(c for c in checks if c.type == "Ready")
    status = "True" if ready.ok else "False"
    if old_ready is None or (old_ready["status"], old_ready["reason"]) != (status, ready.reason):
        return [Event("Normal" if ready.ok else "Warning", ready.reason, ready.message)]
    if changes:
        return [Event("Normal", "Reconciled", f"Updated: {', '.join(changes)}"[:1000])]
    return []
