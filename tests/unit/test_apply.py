"""The apply step: removals in every system before any provisioning, each system behind its
own boundary, credentials handed out only once their Secret is in the namespace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from havre.pipeline.apply import apply_desired
from havre.pipeline.material import prepare_material
from havre.pipeline.render.desired import Desired, render_desired
from havre.pipeline.validate import validate_workspace
from tests.unit.conftest import NOW
from tests.unit.fakes import DOWN, api_server
from tests.unit.world import SETTINGS, UID, World, workspace_body


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(api)


def _desired() -> Desired:
    ws = validate_workspace("cardio", workspace_body()["spec"], NOW)
    return render_desired(replace(ws, uid=UID), prepare_material({}), SETTINGS)


def test_every_system_removes_before_any_provisions(world: World) -> None:
    applied = apply_desired(world.platform, _desired())
    assert all(r.error is None for r in applied.systems.values()), applied.systems
    store_first = [m for m, _ in world.store.calls].index("ensure_bucket")
    assert "policy_document" in [m for m, _ in world.store.calls[:store_first]]
    catalog = [m for m, _ in world.catalogs.calls]
    assert catalog.index("granted_datasets") < catalog.index("ensure_workspace")
    writes = [p for m, p in world.api.requests if m == "PATCH"]
    assert writes, "the cluster was provisioned"


def test_credentials_are_handed_out_only_once_their_secret_is_in_place(world: World) -> None:
    world.api.fail[("PATCH", "/secrets/havre-storage")] = 422
    applied = apply_desired(world.platform, _desired())
    storage = applied.systems["Storage"]
    assert storage.error is not None and storage.error.reason == "CredentialsPending"
    assert world.store.called("ensure_user") == []
    assert applied.systems["Catalog"].error is None, "the other system is not held back"
    assert applied.systems["Namespace"].error is not None


def test_a_failing_system_reports_itself_and_the_others_complete(world: World) -> None:
    world.store.fail["bucket_owner"] = DOWN
    applied = apply_desired(world.platform, _desired())
    assert applied.systems["Storage"].error is DOWN
    assert applied.systems["Catalog"].error is None
    assert applied.systems["Namespace"].error is None
    assert world.catalogs.roles["cardio"][0] is True
