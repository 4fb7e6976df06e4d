"""Decisions reach the audit trail from the reconcile that applies them, after its writes,
and the trail can never hold a removal of access up."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from havre.audit import metrics
from havre.pipeline.apply_audit import SpecChange, grant_decisions, record_decisions
from havre.pipeline.reconcile import reconcile_workspace
from havre.pipeline.records import StaticCatalogue
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import World, condition, grant_body


class Log:
    """A trail that keeps what it is given, or refuses everything (``broken``)."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.records: list[dict[str, Any]] = []

    def record(self, *records: dict[str, Any]) -> None:
        if self.broken:
            raise RuntimeError("receiver gone, buffer gone")
        self.records.extend(records)


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(api)


def _reconcile(world: World, log: Log, change: SpecChange | None) -> Any:
    catalogue = StaticCatalogue.from_bodies([world.body], world.datasets, world.grants, None)
    platform = replace(world.platform, audit=log)
    outcome = reconcile_workspace(platform, world.body, catalogue, NOW, change)
    world.body["status"] = outcome.status
    return outcome


def test_a_request_its_approval_and_a_rejection_are_recorded_by_the_reconcile(
    world: World,
) -> None:
    log = Log()
    world.body["spec"].pop("approval")
    _reconcile(world, log, SpecChange("create"))
    assert [r["action"] for r in log.records] == ["workspace-requested"]
    assert world.bindings() == set()  # a request: nothing applied

    old = copy.deepcopy(world.body["spec"])
    world.body["spec"]["approval"] = {"decision": "Approved", "by": "oidc:carla"}
    world.body["metadata"]["generation"] = 2
    _reconcile(world, log, SpecChange("update", old))
    approved = log.records[-1]
    assert (approved["action"], approved["by"]) == ("workspace-approved", "oidc:carla")
    assert "oidc:bob" in world.bindings()  # recorded once applied

    old = copy.deepcopy(world.body["spec"])
    world.body["spec"]["approval"] = {
        "decision": "Rejected",
        "by": "oidc:carla",
        "reason": "authorisation withdrawn",
    }
    world.body["metadata"]["generation"] = 3
    _reconcile(world, log, SpecChange("update", old))
    rejected = log.records[-1]
    assert (rejected["action"], rejected["by"], rejected["reason"]) == (
        "workspace-rejected",
        "oidc:carla",
        "authorisation withdrawn",
    )
    assert rejected["attribution"] == "spec.approval.by"


def test_a_broken_trail_never_stops_a_member_removal(world: World) -> None:
    first = world.reconcile()
    assert condition(first, "Ready")["status"] == "True", first.status
    assert "oidc:bob" in world.bindings()
    dropped = metrics.DECISIONS_DROPPED._value.get()
    old = copy.deepcopy(world.body["spec"])
    world.body["spec"]["members"] = [m for m in old["members"] if m["user"] != "bob"]
    world.body["metadata"]["generation"] = 2
    outcome = _reconcile(world, Log(broken=True), SpecChange("update", old))
    assert "oidc:bob" not in world.bindings()
    assert condition(outcome, "Ready")["status"] == "True", outcome.status
    assert metrics.DECISIONS_DROPPED._value.get() == dropped + 1


def test_an_expired_authorisation_is_recorded_once_by_the_clock(world: World) -> None:
    log = Log()
    world.body["spec"]["expires"] = (NOW - dt.timedelta(hours=1)).isoformat()
    _reconcile(world, log, None)
    _reconcile(world, log, None)  # the repair timer again: nothing new decided
    assert [(r["action"], r["by"]) for r in log.records] == [("workspace-expired", "system:expiry")]


def test_resume_and_repair_are_no_spec_change() -> None:
    assert SpecChange.from_kopf("resume", None) is None
    assert SpecChange.from_kopf(None, None) is None
    assert SpecChange.from_kopf("update", {"owner": "a"}) == SpecChange("update", {"owner": "a"})


def test_a_grant_that_just_expired_is_one_decision() -> None:
    grant = grant_body("g", "snds")
    old = {"conditions": [{"type": "Active", "reason": "Active"}]}
    new = {"conditions": [{"type": "Active", "reason": "Expired"}]}
    assert [r["action"] for r in grant_decisions(None, grant, old, new, NOW)] == ["grant-expired"]
    assert grant_decisions(None, grant, new, new, NOW) == []


def test_without_a_trail_nothing_is_queued() -> None:
    assert record_decisions(None, [{"action": "x"}]) == 0
