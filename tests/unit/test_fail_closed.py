"""Removing access never waits on anything else: a poisoned grant, a failing system or a
refused object degrades only itself, and every removal elsewhere is still applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from havre.api import names
from havre.errors import DependencyUnavailable
from tests.unit.conftest import NOW
from tests.unit.fakes import DOWN, api_server
from tests.unit.world import World, condition, dataset_body, grant_body, workspace_body

POISONS = {
    "reserved-name": dataset_body("workspace-readonly", prefix="ro"),
    "own-bucket": dataset_body("mine", bucket="ws-cardio", prefix="results"),
    "other-ws-bucket": dataset_body("theirs", bucket="ws-onco", prefix="results"),
    "overlapping": dataset_body("cohort-copy", prefix="cohort/2019"),
}
REASONS = {
    "reserved-name": "ReservedName",
    "own-bucket": "InvalidLocation",
    "other-ws-bucket": "InvalidLocation",
    "overlapping": "OverlappingLocation",
}


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(
            api,
            datasets=[dataset_body("snds"), dataset_body("cohort")],
            grants=[grant_body("g-snds", "snds"), grant_body("g-cohort", "cohort")],
        )


def _later(ds: dict[str, Any]) -> dict[str, Any]:
    ds["metadata"]["creationTimestamp"] = "2026-11-01T12:00:00Z"
    return ds


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_poisoned_grant_degrades_itself_while_every_removal_is_applied(
    world: World, poison: str
) -> None:
    first = world.reconcile()
    assert condition(first, "Ready")["status"] == "True", first.status
    assert world.policy_datasets() == {"snds", "cohort"}
    assert world.catalogs.grants["cardio"] == {"snds", "cohort"}
    assert "oidc:bob" in world.bindings()

    world.datasets.append(_later(POISONS[poison]))
    world.grants.append(grant_body("g-poison", POISONS[poison]["metadata"]["name"]))
    world.grants = [g for g in world.grants if g["metadata"]["name"] != "g-cohort"]
    world.body["spec"]["members"] = [{"user": "carol", "role": "viewer"}]
    outcome = world.reconcile()

    assert world.policy_datasets() == {"snds"}, "the deleted grant is withdrawn at the store"
    assert world.catalogs.grants["cardio"] == {"snds"}, "and in the catalog database"
    assert "oidc:bob" not in world.bindings() and "oidc:carol" in world.bindings()
    grants = condition(outcome, "Grants")
    assert grants["status"] == "False" and grants["reason"] == REASONS[poison]
    assert "g-poison" in grants["message"]
    ready = condition(outcome, "Ready")
    assert ready["status"] == "False" and ready["reason"] == REASONS[poison]
    assert [g["name"] for g in outcome.status["grants"]] == ["g-snds"]

    expired = world.reconcile(now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert not world.user_enabled(), "expiry disables the store user"
    assert world.catalogs.roles["cardio"][0] is False, "and the catalog login"
    assert world.bindings() == set(), "and every member's binding"
    assert condition(expired, "Access")["reason"] == "Expired"


def test_object_store_down_never_stops_rbac_or_catalog_removals(world: World) -> None:
    world.reconcile()
    world.store.fail["policy_document"] = DOWN
    world.grants = [g for g in world.grants if g["metadata"]["name"] != "g-cohort"]
    world.body["spec"]["members"] = []
    outcome = world.reconcile()
    assert world.bindings() == {"oidc:alice"}
    assert world.catalogs.grants["cardio"] == {"snds"}
    storage = condition(outcome, "Storage")
    assert (storage["status"], storage["reason"]) == ("False", "ObjectStoreUnavailable")
    assert condition(outcome, "Degraded")["status"] == "True"
    assert outcome.retry


def test_catalog_database_down_never_stops_store_or_rbac_removals(world: World) -> None:
    world.reconcile()
    world.catalogs.fail["workspace_owner"] = DependencyUnavailable(
        "down", reason="CatalogDatabaseUnavailable"
    )
    world.grants = [g for g in world.grants if g["metadata"]["name"] != "g-cohort"]
    world.body["spec"]["members"] = []
    outcome = world.reconcile()
    assert world.policy_datasets() == {"snds"}
    assert world.bindings() == {"oidc:alice"}
    assert condition(outcome, "Catalog")["reason"] == "CatalogDatabaseUnavailable"


def test_api_server_refusing_the_namespace_never_stops_external_removals(world: World) -> None:
    world.reconcile()
    world.api.fail[("GET", "/rolebindings")] = 500
    world.body["spec"]["suspended"] = True
    world.grants = []
    outcome = world.reconcile()
    assert condition(outcome, "Namespace")["status"] == "False"
    assert not world.user_enabled() and world.policy_datasets() == set()
    assert world.catalogs.roles["cardio"][0] is False and world.catalogs.grants["cardio"] == set()


def test_one_failing_revocation_does_not_stop_the_others(world: World) -> None:
    world.reconcile()
    world.catalogs.failing_datasets = {"cohort"}
    world.grants = []
    outcome = world.reconcile()
    assert world.catalogs.grants["cardio"] == {"cohort"}, "the failing one stays, reported"
    assert ("cardio", "snds") in world.catalogs.called("revoke_dataset")
    assert condition(outcome, "Catalog")["reason"] == "CatalogFailed"
    assert world.policy_datasets() == set()


def test_unreadable_spec_withdraws_access_and_creates_nothing(world: World) -> None:
    world.reconcile()
    world.body["spec"]["expires"] = "2028-01-01T00:00:00"  # no time zone: unreadable
    outcome = world.reconcile()
    assert condition(outcome, "Ready")["status"] == "False"
    assert condition(outcome, "Valid")["reason"] == "InvalidSpec"
    assert world.bindings() == set()
    assert not world.user_enabled() and world.policy_datasets() == set()
    assert world.catalogs.roles["cardio"][0] is False and world.catalogs.grants["cardio"] == set()
    assert names.bucket("cardio") in world.store.buckets, "data is kept"


def test_suspended_at_creation_converges_to_a_ready_suspended_workspace(world: World) -> None:
    world.body = workspace_body(suspended=True)
    outcome = world.reconcile()
    assert not world.user_enabled()
    assert world.store.called("attach_policy") == [], "a disabled user is not attached"
    ready = condition(outcome, "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "Suspended")
    assert condition(outcome, "Storage")["status"] == "True"
    world.body["spec"]["suspended"] = False
    world.reconcile()
    assert world.user_enabled()
    assert world.store.users[names.storage_access_key("cardio")][2] == (
        names.storage_principal("cardio"),
    )


def test_status_holds_only_this_runs_results(world: World) -> None:
    world.reconcile()
    world.body["status"]["endpoints"]["trino"] = "https://stale"
    world.body["status"]["conditions"].append(
        {**world.body["status"]["conditions"][0], "type": "Stale"}
    )
    world.grants = []
    outcome = world.reconcile()
    assert outcome.patch is not None
    assert outcome.patch["endpoints"] == {"trino": None}
    assert outcome.status["grants"] == []
    assert "Stale" not in {c["type"] for c in outcome.status["conditions"]}
    assert NOW.year == 2026


def test_unreadable_kept_credentials_hand_out_nothing_but_still_remove(world: World) -> None:
    world.reconcile()
    secret_before = world.store.users[names.storage_access_key("cardio")][0]
    world.api.fail[("GET", "/secrets/")] = 500
    world.grants = [g for g in world.grants if g["metadata"]["name"] != "g-cohort"]
    world.body["spec"]["members"] = []
    outcome = world.reconcile()
    assert world.policy_datasets() == {"snds"}
    assert world.catalogs.grants["cardio"] == {"snds"}
    assert world.bindings() == {"oidc:alice"}
    assert world.store.users[names.storage_access_key("cardio")][0] == secret_before
    assert condition(outcome, "Credentials")["status"] == "False"
    assert outcome.retry
    secrets = [p for p in world.api.objects if "/secrets/" in p]
    assert len(secrets) == 2, "no Secret deleted or rewritten"
