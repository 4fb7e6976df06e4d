"""The grant's and the dataset's reconciles: their status from the operator's records, a
patch only when it changes, and ``grantedTo`` naming only the workspaces a grant opens."""

from __future__ import annotations

from havre.pipeline.dataset_reconcile import reconcile_dataset
from havre.pipeline.grant_reconcile import reconcile_grant
from havre.pipeline.records import StaticCatalogue
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import World, dataset_body, grant_body, workspace_body


def _ready(status: dict[str, object]) -> dict[str, object]:
    conditions = status["conditions"]
    assert isinstance(conditions, list)
    found: dict[str, object] = next(c for c in conditions if c["type"] == "Ready")
    return found


def test_a_grant_in_force_is_ready_and_a_second_run_patches_nothing() -> None:
    grant = grant_body("g", "snds")
    catalogue = StaticCatalogue.from_bodies([workspace_body()], [dataset_body("snds")], [grant])
    first = reconcile_grant(grant, catalogue, NOW)
    assert first.state.in_force and _ready(first.status)["status"] == "True"
    assert first.patch is not None
    again = reconcile_grant({**grant, "status": first.status}, catalogue, NOW)
    assert again.patch is None


def test_a_grant_naming_no_dataset_says_so_and_opens_nothing() -> None:
    grant = grant_body("g", "missing")
    catalogue = StaticCatalogue.from_bodies([workspace_body()], [], [grant])
    outcome = reconcile_grant(grant, catalogue, NOW)
    assert not outcome.state.in_force
    assert _ready(outcome.status)["reason"] == "DatasetNotFound"


def test_a_dataset_is_granted_only_to_the_workspaces_its_grants_open() -> None:
    ds = dataset_body("snds")
    grants = [grant_body("g", "snds"), grant_body("early", "snds", "ghost")]
    catalogue = StaticCatalogue.from_bodies([workspace_body()], [ds], grants)
    with api_server() as api:
        outcome = reconcile_dataset(World(api).platform, ds, catalogue, NOW)
    assert outcome.valid and not outcome.retry
    assert outcome.status["grantedTo"] == ["cardio"]
