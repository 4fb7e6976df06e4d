"""The holder issues a remote grant's credentials while it is in force and withdraws them
first, every step even when one fails, when it ends."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest

from havre.api.names import READER_ANNOTATION
from havre.errors import DependencyUnavailable
from havre.federation import holder
from havre.federation.remote_grant import SECRET_NAMESPACE, GrantCredentials
from havre.pipeline.conditions import Check
from havre.pipeline.records import DatasetRecord, GrantRecord, StaticCatalogue
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import World, dataset_body, grant_body

GRANT_UID = "22222222-3333-4444-5555-666666666666"
CREDS = GrantCredentials(GRANT_UID)
SECRET_PATH = f"/api/v1/namespaces/{SECRET_NAMESPACE}/secrets/{CREDS.secret}"


def remote(reader: str = "hds-host") -> dict[str, object]:
    return grant_body("g", "snds", uid=GRANT_UID, annotations={READER_ANNOTATION: reader})


@pytest.fixture
def world() -> Iterator[World]:
    with api_server() as api:
        yield World(api)


def _issue(world: World) -> Check:
    world.catalogs.datasets.add("snds")
    grant = GrantRecord.from_body(remote())
    return holder.issue(world.platform, grant, DatasetRecord.from_body(dataset_body("snds")))


def test_issuing_creates_a_user_with_the_read_policy_a_role_and_the_secret(world: World) -> None:
    check = _issue(world)
    assert check.ok and check.reason == "Issued"
    assert world.store.users[CREDS.access_key][2] == (CREDS.policy,)
    assert world.store.policies[CREDS.policy]["ID"] == CREDS.record
    assert world.catalogs.roles[CREDS.role] == (True, CREDS.record)
    assert world.catalogs.grants[CREDS.role] == {"snds"}
    secret = world.api.objects[SECRET_PATH]
    assert secret["stringData"]["s3-secret-key"] == world.store.users[CREDS.access_key][0]


def test_secrets_issued_earlier_are_kept_across_restarts(world: World) -> None:
    kept = {"s3-secret-key": "old-s3", "catalog-password": "old-pg"}
    world.api.put(
        SECRET_PATH,
        {
            "metadata": {"name": CREDS.secret, "namespace": SECRET_NAMESPACE},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in kept.items()},
        },
    )
    _issue(world)
    assert world.store.users[CREDS.access_key][0] == "old-s3"


def test_a_store_failure_is_reported_as_the_credentials_condition(world: World) -> None:
    world.store.fail["ensure_policy"] = DependencyUnavailable("down", reason="ObjectStoreDown")
    check = _issue(world)
    assert not check.ok and check.reason == "ObjectStoreDown"


def test_withdrawal_deletes_user_policy_role_and_secret(world: World) -> None:
    _issue(world)
    done = holder.withdraw(world.platform, GRANT_UID)
    assert done == [
        f"user {CREDS.access_key}",
        f"policy {CREDS.policy}",
        f"role {CREDS.role}",
        f"Secret {CREDS.secret}",
    ]
    assert CREDS.access_key not in world.store.users and CREDS.role not in world.catalogs.roles
    assert SECRET_PATH not in world.api.objects


def test_a_failing_catalog_never_keeps_the_object_store_user_and_the_failure_is_raised(
    world: World,
) -> None:
    _issue(world)
    world.catalogs.fail["drop_grant_role"] = DependencyUnavailable("pg down", reason="PgDown")
    with pytest.raises(DependencyUnavailable, match="pg down"):
        holder.withdraw(world.platform, GRANT_UID)
    assert CREDS.access_key not in world.store.users
    assert SECRET_PATH not in world.api.objects


def _settle(world: World, body: dict[str, object], now: dt.datetime) -> Check | None:
    catalogue = StaticCatalogue.from_bodies([], [dataset_body("snds")], [body])
    return holder.settle(world.platform, body, catalogue, now, "snc-host")


def test_settling_issues_while_in_force_and_withdraws_once_expired(world: World) -> None:
    world.catalogs.datasets.add("snds")
    issued = _settle(world, remote(), NOW)
    assert issued is not None and issued.ok
    assert CREDS.access_key in world.store.users
    later = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    withdrawn = _settle(world, remote(), later)
    assert withdrawn is not None and withdrawn.reason == "Withdrawn"
    assert CREDS.access_key not in world.store.users and CREDS.role not in world.catalogs.roles


def test_a_grant_read_by_this_members_provider_is_left_to_the_ordinary_reconcile(
    world: World,
) -> None:
    assert _settle(world, remote(reader="snc-host"), NOW) is None
    assert _settle(world, grant_body("g", "snds", uid=GRANT_UID), NOW) is None
    assert world.store.calls == [] and world.catalogs.calls == []


def test_deleting_a_remote_grant_withdraws_its_credentials(world: World) -> None:
    _issue(world)
    holder.withdraw_deleted(world.platform, remote(), "snc-host")
    assert CREDS.access_key not in world.store.users


def test_a_grant_whose_mark_no_longer_says_elsewhere_loses_what_it_was_issued(
    world: World,
) -> None:
    _issue(world)
    assert _settle(world, remote(reader="snc-host"), NOW) is None
    assert CREDS.access_key not in world.store.users and SECRET_PATH not in world.api.objects


def test_deleting_a_grant_issued_credentials_withdraws_them_whatever_its_mark(
    world: World,
) -> None:
    _issue(world)
    holder.withdraw_deleted(world.platform, grant_body("g", "snds", uid=GRANT_UID), "snc-host")
    assert CREDS.access_key not in world.store.users and CREDS.role not in world.catalogs.roles


def test_a_single_cluster_never_looks_for_remote_credentials(world: World) -> None:
    holder.withdraw_deleted(world.platform, remote(), None)
    assert world.store.calls == [] and world.catalogs.calls == []
