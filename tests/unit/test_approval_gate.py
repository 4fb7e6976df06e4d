"""A request creates nothing until approved; a withdrawn approval removes access like a
suspension; a missing size profile sizes nothing but still applies every removal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from havre.api import names
from tests.unit.fakes import api_server
from tests.unit.world import World, condition, dataset_body, grant_body, workspace_body


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(api, datasets=[dataset_body("snds")], grants=[grant_body("g", "snds")])


def test_a_request_creates_nothing_outside_the_workspace_object(world: World) -> None:
    world.body = workspace_body()
    del world.body["spec"]["approval"]
    outcome = world.reconcile()
    ready = condition(outcome, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "AwaitingApproval")
    assert condition(outcome, "Approved")["reason"] == "AwaitingApproval"
    assert [m for m, _ in world.api.requests if m != "GET"] == [], "no cluster write"
    assert world.store.calls == [] and world.catalogs.calls == []
    assert "namespace" not in outcome.status and "endpoints" not in outcome.status


def test_a_rejected_request_creates_nothing(world: World) -> None:
    world.body = workspace_body(approval={"decision": "Rejected", "by": "oidc:carla"})
    outcome = world.reconcile()
    assert condition(outcome, "Ready")["reason"] == "Rejected"
    assert world.store.calls == [] and world.catalogs.calls == []


def test_a_withdrawn_approval_removes_access_like_a_suspension(world: World) -> None:
    world.reconcile()
    assert world.user_enabled() and world.catalogs.roles["cardio"][0]
    world.body["spec"]["approval"] = {
        "decision": "Rejected",
        "by": "oidc:carla",
        "reason": "authorisation withdrawn",
    }
    outcome = world.reconcile()
    assert not world.user_enabled()
    assert world.catalogs.roles["cardio"][0] is False
    ready = condition(outcome, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "Rejected")
    assert "authorisation withdrawn" in condition(outcome, "Approved")["message"]
    assert names.bucket("cardio") in world.store.buckets, "data is kept"


def test_a_missing_size_profile_sizes_nothing_and_still_removes(world: World) -> None:
    world.reconcile()
    quota = "/api/v1/namespaces/ws-cardio/resourcequotas/havre-quota"
    before = world.api.objects[quota]
    world.profiles = []
    world.grants = []
    world.body["spec"]["members"] = []
    outcome = world.reconcile()
    assert condition(outcome, "Size")["reason"] == "SizeProfileNotFound"
    assert condition(outcome, "Ready")["reason"] == "SizeProfileNotFound"
    assert world.bindings() == {"oidc:alice"}
    assert world.policy_datasets() == set() and world.catalogs.grants["cardio"] == set()
    assert world.api.objects[quota] == before, "nothing sized is rewritten or deleted"
