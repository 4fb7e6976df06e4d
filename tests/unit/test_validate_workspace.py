"""Validation catches what the schema cannot, naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

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
    assert ws.spec.size.workers == 1
    assert ws.spec.deletion_policy.value == "Retain"
    assert ws.spec.expires == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
