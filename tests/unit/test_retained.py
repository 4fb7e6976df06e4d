"""Retained data is never adopted by a namesake; the admin releases it (explicit hand-over)
or purges it, and neither ever touches the data of the workspace holding the name now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from havre.api import names
from havre.retained import RetainedError, holdings, purge, release
from tests.unit.fakes import api_server
from tests.unit.world import World, condition, workspace_body

OLD, NEW = "uid-old", "uid-new"


@pytest.fixture
def retained_world() -> Iterator[World]:
    """cardio provisioned under OLD, then deleted with Retain; a new cardio under NEW."""
    with api_server() as api:
        world = World(api, body=workspace_body(uid=OLD))
        world.reconcile()
        world.body = workspace_body(uid=NEW)
        yield world


def test_a_namesake_meets_name_retained_and_gets_nothing(retained_world: World) -> None:
    world = retained_world
    outcome = world.reconcile()
    assert condition(outcome, "Storage")["reason"] == "NameRetained"
    assert condition(outcome, "Catalog")["reason"] == "NameRetained"
    assert condition(outcome, "Ready")["reason"] == "NameRetained"
    assert OLD in condition(outcome, "Storage")["message"]
    # nothing of the old data was touched: no policy rewrite, no user reset, no login
    assert world.store.policies[names.storage_principal("cardio")]["ID"].endswith(OLD)
    assert world.store.called("ensure_user") == [(names.storage_access_key("cardio"), True)]
    assert len(world.catalogs.called("ensure_workspace")) == 1


def test_release_hands_the_data_to_the_new_workspace_explicitly(retained_world: World) -> None:
    world = retained_world
    world.reconcile()
    listed = holdings({"cardio": NEW}, world.store, world.catalogs)
    assert {(h.system, h.state, h.recorded) for h in listed} == {
        ("storage", "retained", OLD),
        ("catalog", "retained", OLD),
    }
    assert len(release("cardio", NEW, world.store, world.catalogs)) == 2
    outcome = world.reconcile()
    assert condition(outcome, "Ready")["status"] == "True"
    assert world.store.buckets[names.bucket("cardio")][names.OWNER_KEY] == NEW
    assert {h.state for h in holdings({"cardio": NEW}, world.store, world.catalogs)} == {"in-use"}


def test_purge_deletes_retained_data_and_the_namesake_provisions_fresh(
    retained_world: World,
) -> None:
    world = retained_world
    world.reconcile()
    done = purge("cardio", NEW, world.store, world.catalogs)
    assert f"deleted bucket/{names.bucket('cardio')}" in done
    assert "cardio" not in world.catalogs.roles
    outcome = world.reconcile()
    assert condition(outcome, "Ready")["status"] == "True"
    assert world.store.buckets[names.bucket("cardio")][names.OWNER_KEY] == NEW


def test_data_of_the_workspace_holding_the_name_is_never_purged(retained_world: World) -> None:
    world = retained_world
    with pytest.raises(RetainedError, match="belongs to the workspace of that name now"):
        purge("cardio", OLD, world.store, world.catalogs)
    assert names.bucket("cardio") in world.store.buckets
    with pytest.raises(RetainedError, match="no workspace named cardio"):
        release("cardio", "", world.store, world.catalogs)
