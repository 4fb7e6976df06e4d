"""An Event when Ready changes, with the condition's reason; one per repair; none idle."""

from __future__ import annotations

from havre.pipeline.conditions import Check
from havre.pipeline.events import Event, workspace_events

READY = Check("Ready", True, "Ready", "All parts of the object are in place.")
OLD = {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}]}


def test_a_change_of_ready_posts_its_reason() -> None:
    failed = Check("Ready", False, "NameRetained", "kept data")
    assert workspace_events(OLD, [failed], ["x"]) == [Event("Warning", "NameRetained", "kept data")]
    assert workspace_events({}, [READY], []) == [Event("Normal", "Ready", READY.message)]


def test_repairs_are_listed_and_an_idle_run_posts_nothing() -> None:
    (event,) = workspace_events(OLD, [READY], ["policy/havre-ws-a", "-RoleBinding/ws-a/b"])
    assert event.reason == "Reconciled" and "policy/havre-ws-a" in event.message
    assert workspace_events(OLD, [READY], []) == []
