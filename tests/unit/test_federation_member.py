"""On a member, the reconcile itself never opens a dataset held at, or resident at, another
provider, whoever created its objects there (the hub's admission is the first line)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from havre.pipeline.dataset_reconcile import reconcile_dataset
from havre.pipeline.datasets import dataset_problem
from havre.pipeline.grant_reconcile import reconcile_grant
from havre.pipeline.platform import Platform
from havre.pipeline.reconcile import reconcile_workspace
from havre.pipeline.records import DatasetRecord, StaticCatalogue
from havre.settings import FederationSettings
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import SETTINGS, World, condition, dataset_body, grant_body

HERE = "hds-host"
MEMBER = SETTINGS.model_copy(
    update={"federation": FederationSettings(role="member", provider=HERE)}
)


def located(name: str, **spec: Any) -> dict[str, Any]:
    body = dataset_body(name, bucket="datasets", prefix=name)
    body["spec"].update(spec)
    return body


def record(name: str, **spec: Any) -> DatasetRecord:
    return DatasetRecord.from_body(located(name, **spec))


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"residency": "snc-host"}, "DataResidency"),
        ({"provider": "snc-host"}, "RemoteDataset"),
        ({"provider": "snc-host", "residency": "snc-host"}, "DataResidency"),
    ],
)
def test_dataset_held_or_resident_elsewhere_is_refused_on_a_member(
    spec: dict[str, str], reason: str
) -> None:
    problem = dataset_problem(record("d", **spec), [], HERE)
    assert problem is not None and problem.reason == reason
    assert "snc-host" in problem.message and HERE in problem.message


@pytest.mark.parametrize(
    "spec", [{}, {"provider": HERE}, {"residency": HERE}, {"provider": HERE, "residency": HERE}]
)
def test_dataset_held_here_or_anywhere_is_accepted_on_a_member(spec: dict[str, str]) -> None:
    assert dataset_problem(record("d", **spec), [], HERE) is None


def test_without_a_provider_residency_is_the_hubs_matter() -> None:
    assert dataset_problem(record("d", residency="snc-host"), []) is None


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(
            api,
            datasets=[located("here", provider=HERE), located("away", residency="snc-host")],
            grants=[grant_body("g-here", "here"), grant_body("g-away", "away")],
        )


def test_member_workspace_opens_only_the_dataset_held_at_its_provider(world: World) -> None:
    platform = Platform(world.api.cluster(), MEMBER, world.store, world.catalogs)
    catalogue = StaticCatalogue.from_bodies([world.body], world.datasets, world.grants)
    outcome = reconcile_workspace(platform, world.body, catalogue, NOW)
    assert world.policy_datasets() == {"here"}
    grants = condition(outcome, "Grants")
    assert grants["status"] == "False" and grants["reason"] == "DataResidency"
    assert "g-away" in grants["message"]


def test_member_grant_and_dataset_status_name_the_residency_rule(world: World) -> None:
    platform = Platform(world.api.cluster(), MEMBER, world.store, world.catalogs)
    catalogue = StaticCatalogue.from_bodies([world.body], world.datasets, world.grants)
    dataset = reconcile_dataset(platform, world.datasets[1], catalogue, NOW)
    assert not dataset.valid and dataset.status["grantedTo"] == []
    grant = reconcile_grant(world.grants[1], catalogue, NOW, HERE)
    ready = next(c for c in grant.status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "DataResidency"
    held = reconcile_grant(world.grants[0], catalogue, NOW, HERE)
    assert next(c for c in held.status["conditions"] if c["type"] == "Ready")["status"] == "True"
