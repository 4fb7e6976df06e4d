"""The hub Workspace reports the member's status, and what only the hub knows."""

from __future__ import annotations

from typing import Any

from havre.api.model import WorkspaceSpec
from havre.federation.placement import MemberCluster
from havre.federation.status import (
    MemberState,
    aggregate,
    awaiting_approval,
    hub_status,
    member_state,
    status_patch,
)

NOW = "2026-11-29T12:00:00Z"
EARLIER = "2026-11-29T11:00:00Z"


def cond(kind: str, status: str, reason: str, generation: int = 1) -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": f"{kind} {reason}",
        "lastTransitionTime": EARLIER,
        "observedGeneration": generation,
    }


def item(member_generation: int = 2, observed: int = 2, template: int = 3) -> dict[str, Any]:
    """A binding's status item as the ReflectStatus Lua produces it."""
    return {
        "clusterName": "snc",
        "applied": True,
        "health": "Healthy",
        "status": {
            "observedGeneration": observed,
            "generation": member_generation,
            "resourceTemplateGeneration": template,
            "namespace": "ws-cardio",
            "endpoints": {"trino": "https://t", "bucket": "ws-cardio"},
            "grants": [],
            "conditions": [
                cond("Ready", "True", "Ready", observed),
                cond("Storage", "True", "Provisioned", observed),
            ],
        },
    }


PLACED = MemberState(True, "Placed", "Runs on member snc.")
LOST = MemberState(False, "MemberUnreachable", "Member snc has not answered.")


def test_member_report_becomes_hub_status_at_the_hub_generation() -> None:
    status = hub_status({}, 3, "snc", PLACED, item(), NOW)
    assert status["member"] == "snc"
    assert status["observedGeneration"] == 3
    assert status["endpoints"] == {"trino": "https://t", "bucket": "ws-cardio"}
    assert "grants" not in status  # empty lists are left out, as the Lua does
    ready, storage, member = status["conditions"]
    assert (ready["type"], ready["status"], ready["observedGeneration"]) == ("Ready", "True", 3)
    assert (storage["type"], storage["observedGeneration"]) == ("Storage", 3)
    assert (member["type"], member["status"], member["lastTransitionTime"]) == (
        "Member",
        "True",
        NOW,
    )


def test_member_behind_the_latest_spec_keeps_the_last_generation_reported() -> None:
    stale = item(member_generation=3, observed=2, template=4)
    status = hub_status({"observedGeneration": 3}, 4, "snc", PLACED, stale, NOW)
    assert status["observedGeneration"] == 3
    assert status["conditions"][0]["observedGeneration"] == 3


def test_unreachable_member_makes_ready_false_but_keeps_its_last_report() -> None:
    status = hub_status({}, 3, "snc", LOST, item(), NOW)
    ready = status["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("False", "MemberUnreachable")
    assert status["endpoints"]["bucket"] == "ws-cardio"
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Storage", "Member"]


def test_returning_member_restores_its_own_ready() -> None:
    lost = hub_status({}, 3, "snc", LOST, item(), NOW)
    back = hub_status(lost, 3, "snc", PLACED, item(), NOW)
    assert back == hub_status({}, 3, "snc", PLACED, item(), NOW)


def test_aggregation_is_stable_once_written() -> None:
    once = hub_status({}, 3, "snc", PLACED, item(), NOW)
    assert aggregate(once, item()) == once
    assert hub_status(once, 3, "snc", PLACED, item(), "2027-01-01T00:00:00Z") == once


def test_unplaced_workspace_reports_why() -> None:
    state = member_state(
        None,
        {},
        {"status": {"conditions": [{"type": "Scheduled", "status": "False", "message": "0/2"}]}},
        None,
        "certified hds",
    )
    assert (state.ok, state.reason) == (False, "NoMemberFits")
    status = hub_status({}, 1, None, state, None, NOW)
    assert "member" not in status
    assert status["conditions"][0]["reason"] == "NoMemberFits"


def test_placed_but_silent_member_is_awaited() -> None:
    status = hub_status({}, 1, "snc", PLACED, None, NOW)
    assert (status["conditions"][0]["reason"], status["member"]) == ("AwaitingMember", "snc")


def test_member_state_follows_karmada_health_and_apply_result() -> None:
    healthy = {"snc": MemberCluster("snc", {"havre.io/provider": "p"}, True)}
    down = {"snc": MemberCluster("snc", {}, False, since=EARLIER)}
    assert member_state("snc", healthy, None, None, "").reason == "Placed"
    assert member_state("snc", down, None, None, "").reason == "MemberUnreachable"
    assert EARLIER in member_state("snc", down, None, None, "").message
    refused = {"applied": False, "appliedMessage": "conflict"}
    assert member_state("snc", healthy, None, refused, "").reason == "MemberRejected"


def test_status_patch_removes_what_is_gone() -> None:
    assert status_patch({"member": "a", "x": 1}, {"x": 2}) == {"member": None, "x": 2}


def _spec(approval: dict[str, str] | None) -> WorkspaceSpec:
    raw: dict[str, Any] = {"title": "t", "owner": "o", "expires": "2030-01-01T00:00:00Z"}
    if approval is not None:
        raw["approval"] = approval
    return WorkspaceSpec.model_validate(raw)


def test_a_request_waits_for_approval_before_any_member_holds_it() -> None:
    pending = awaiting_approval(_spec(None))
    assert pending is not None and pending.reason == "AwaitingApproval" and not pending.ok
    rejected = awaiting_approval(_spec({"decision": "Rejected", "by": "carla"}))
    assert rejected is not None and rejected.reason == "Rejected" and "carla" in rejected.message
    assert awaiting_approval(_spec({"decision": "Approved", "by": "carla"})) is None
    status = hub_status({}, 1, None, pending, None, NOW)
    assert "member" not in status
    assert {(c["type"], c["reason"]) for c in status["conditions"]} == {
        ("Ready", "AwaitingApproval"),
        ("Member", "AwaitingApproval"),
    }
