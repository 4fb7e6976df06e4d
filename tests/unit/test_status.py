"""Conditions follow the API conventions: Ready summarises, transitions keep their time."""

from __future__ import annotations

import datetime as dt

from havre.pipeline.status import Check, conditions_json, merge_conditions, summary

T0 = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


def test_ready_carries_the_first_failure() -> None:
    checks = [Check("Valid", True, "Valid", "ok"), Check("Namespace", False, "Boom", "it broke")]
    assert summary(checks) == Check("Ready", False, "Boom", "it broke")


def test_ready_is_true_when_every_check_is() -> None:
    assert summary([Check("Valid", True, "Valid", "ok")]).ok


def test_transition_time_moves_only_when_status_changes() -> None:
    first = conditions_json(merge_conditions([], [Check("A", True, "Fine", "m")], 1, T0))
    same = conditions_json(merge_conditions(first, [Check("A", True, "Fine", "m2")], 2, T1))
    flipped = conditions_json(merge_conditions(same, [Check("A", False, "Bad", "m3")], 3, T1))
    assert same[0]["lastTransitionTime"] == first[0]["lastTransitionTime"]
    assert same[0]["observedGeneration"] == 2
    assert flipped[0]["lastTransitionTime"] != first[0]["lastTransitionTime"]
    assert flipped[0]["reason"] == "Bad"


def test_ready_is_listed_first_and_unchecked_conditions_are_kept() -> None:
    old = conditions_json(merge_conditions([], [Check("Storage", True, "Fine", "m")], 1, T0))
    new = merge_conditions(old, [Check("Ready", True, "Ready", "m")], 2, T1)
    assert [c.type for c in new] == ["Ready", "Storage"]


def test_a_failure_that_degrades_only_a_part_leaves_ready_true() -> None:
    checks = [
        Check("Valid", True, "Valid", "ok"),
        Check("Identity", False, "UnknownMember", "no user ghost", blocking=False),
    ]
    assert summary(checks).ok
    assert not summary([*checks, Check("Namespace", False, "Boom", "broke")]).ok
