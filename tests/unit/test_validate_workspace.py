"""Validation catches what the schema cannot, naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from havre.api.model import Decision, Size, SizeProfileSpec
from havre.errors import InvalidSpec
from havre.pipeline.validate import validate_workspace
from tests.unit.conftest import NOW, load_example


def spec(**changes: Any) -> dict[str, Any]:
    return {**load_example("cardio")["spec"], **changes}


def test_owner_is_always_an_owner_and_listed_first() -> None:
    ws = validate_workspace("cardio", spec(), NOW)
    assert [(m.user, m.role.value) for m in ws.members] == [
        ("alice", "owner"),
        ("bob", "analyst"),
        ("carol", "viewer"),
    ]


def test_owner_listed_with_a_lesser_role_degrades_only_that_entry() -> None:
    members = [{"user": "alice", "role": "viewer"}, {"user": "bob", "role": "analyst"}]
    ws = validate_workspace("cardio", spec(members=members), NOW)
    assert [(m.user, m.role.value) for m in ws.members] == [("alice", "owner"), ("bob", "analyst")]
    (problem,) = ws.problems
    assert problem.reason == "OwnerRoleConflict"
    assert "spec.members: alice is the owner" in problem.message


def test_past_expiry_marks_the_workspace_expired() -> None:
    ws = validate_workspace("cardio", spec(expires="2026-01-01T00:00:00Z"), NOW)
    assert ws.expired


def test_unknown_field_is_named() -> None:
    with pytest.raises(InvalidSpec, match=r"spec.colour: Extra inputs are not permitted"):
        validate_workspace("cardio", spec(colour="blue"), NOW)


def test_size_out_of_bounds_is_named() -> None:
    with pytest.raises(InvalidSpec, match=r"spec.size.memory: .*between 1Gi and 512Gi"):
        validate_workspace("cardio", spec(size={"memory": "100Mi"}), NOW)


def test_expiry_without_time_zone_is_refused() -> None:
    with pytest.raises(InvalidSpec, match=r"spec.expires must carry a time zone"):
        validate_workspace("cardio", spec(expires="2028-01-01T00:00:00"), NOW)


def test_defaults_fill_size_and_deletion_policy() -> None:
    minimal = {"title": "t", "owner": "alice", "expires": "2030-01-01T00:00:00Z"}
    ws = validate_workspace("x", minimal, NOW)
    assert ws.size.workers == 1
    assert ws.spec.deletion_policy.value == "Retain"
    assert ws.spec.expires == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_size_profile_values_apply_where_no_override_is_set() -> None:
    large = SizeProfileSpec(
        workers=4, cpu="8", memory="32Gi", storage="1Ti", description="Large cohorts"
    )
    ws = validate_workspace("x", spec(size={"memory": "16Gi"}, sizeProfile="large"), NOW, large)
    assert ws.size == Size(workers=4, cpu="8", memory="16Gi", storage="1Ti")


def test_without_overrides_the_profile_is_the_size() -> None:
    small = SizeProfileSpec(workers=0, cpu="1", memory="2Gi", storage="10Gi", description="s")
    plain = {k: v for k, v in spec().items() if k != "size"}
    ws = validate_workspace("x", plain, NOW, small)
    assert ws.size == Size(workers=0, cpu="1", memory="2Gi", storage="10Gi")
    assert ws.spec.size_profile == "standard"


def test_an_override_out_of_bounds_is_refused() -> None:
    with pytest.raises(InvalidSpec, match=r"spec.size.workers: .*less than or equal to 32"):
        validate_workspace("cardio", spec(size={"workers": 33}), NOW)


def test_approval_is_parsed_and_absent_means_pending() -> None:
    assert validate_workspace("x", spec(), NOW).spec.approval is None
    decided = spec(approval={"decision": "Approved", "by": "oidc:carla", "reason": "CNIL ok"})
    approval = validate_workspace("x", decided, NOW).spec.approval
    assert approval is not None and approval.decision is Decision.APPROVED
    with pytest.raises(InvalidSpec, match=r"spec.approval.decision"):
        validate_workspace("x", spec(approval={"decision": "Maybe", "by": "x"}), NOW)
