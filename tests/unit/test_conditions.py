"""Conditions follow the API conventions: Ready summarises, transitions keep their time."""

from __future__ import annotations

import datetime as dt

from havre.pipeline.conditions import Check, conditions_json, merge_conditions, merge_patch, summary

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


def test_ready_is_listed_first_and_conditions_not_checked_this_run_are_dropped() -> None:
    old = conditions_json(merge_conditions([], [Check("Storage", True, "Fine", "m")], 1, T0))
    new = merge_conditions(
        old, [Check("Storage", True, "F", "m"), Check("Ready", True, "R", "m")], 2, T1
    )
    assert [c.type for c in new] == ["Ready", "Storage"]
    assert [c.type for c in merge_conditions(old, [Check("Ready", True, "R", "m")], 2, T1)] == [
        "Ready"
    ]


def test_merge_patch_clears_what_the_new_status_no_longer_holds() -> None:
    old = {"endpoints": {"trino": "https://t", "s3": "http://s"}, "grants": [{"n": 1}], "x": 1}
    new = {"endpoints": {"s3": "http://s"}, "x": 1}
    assert merge_patch(old, new) == {"endpoints": {"trino": None}, "grants": None}
    assert merge_patch(new, new) == {}
