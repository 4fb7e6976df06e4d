"""A grant read from another provider, at the holder (pure): names bound to the grant's
UID, a policy reading only the dataset, the grant's own checks, the Secret it fills, and
no local workspace ever reading it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from havre.api.names import READER_ANNOTATION
from havre.federation.remote_grant import (
    SECRET_NAMESPACE,
    GrantCredentials,
    HolderEndpoints,
    IssuedSecret,
    read_from_elsewhere,
    remote_grant_state,
    render_credentials_secret,
    render_read_policy,
)
from havre.pipeline.conditions import Check
from havre.pipeline.grant_reconcile import reconcile_grant
from havre.pipeline.grants import GrantState
from havre.pipeline.platform import Platform
from havre.pipeline.reconcile import reconcile_workspace
from havre.pipeline.records import DatasetRecord, GrantRecord, StaticCatalogue
from havre.pipeline.render.objectstore_policy import DatasetLocation
from havre.settings import FederationSettings
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import SETTINGS, World, dataset_body, grant_body, workspace_body

GRANT_UID = "22222222-3333-4444-5555-666666666666"


def remote(name: str = "g", dataset: str = "snds", reader: str = "hds-host") -> dict[str, object]:
    return grant_body(name, dataset, uid=GRANT_UID, annotations={READER_ANNOTATION: reader})


def test_every_name_derives_from_the_grant_uid_within_the_stores_limits() -> None:
    creds = GrantCredentials(GRANT_UID)
    assert 3 <= len(creds.access_key) <= 20  # MinIO's bounds
    assert re.fullmatch(r"^rg_[0-9a-f]{32}$", creds.role)
    assert creds.policy == creds.secret == "havre-grant-22222222333344445555666666666666"
    assert creds.record == f"havre.io/grant-uid={GRANT_UID}"
    other = GrantCredentials("22222222-3333-4444-5555-666666666667")
    assert {other.access_key, other.role, other.policy} & {
        creds.access_key,
        creds.role,
        creds.policy,
    } == set()


@pytest.mark.parametrize("uid", ["", "g", "uid-g", "22222222-3333-4444-5555-66666666666'"])
def test_a_value_that_is_not_a_uid_names_nothing(uid: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes UID"):
        GrantCredentials(uid)


def test_the_read_policy_lists_and_gets_only_the_dataset_prefix_and_records_the_grant() -> None:
    policy = render_read_policy(GrantCredentials(GRANT_UID), DatasetLocation("ds-snc", "snds/v1"))
    assert policy["ID"] == f"havre.io/grant-uid={GRANT_UID}"
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions == {"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"}
    text = json.dumps(policy["Statement"])
    assert "arn:aws:s3:::ds-snc/snds/v1/*" in text and '"snds/v1/"' in text
    assert "arn:aws:s3:::ds-snc/*" not in text


@pytest.mark.parametrize(
    ("provider", "expected"), [(None, False), ("hds-host", False), ("snc-host", True)]
)
def test_only_a_member_at_another_provider_than_the_readers_holds_a_remote_grant(
    provider: str | None, expected: bool
) -> None:
    assert read_from_elsewhere(GrantRecord.from_body(remote()), provider) is expected
    assert not read_from_elsewhere(GrantRecord.from_body(grant_body("g", "snds")), provider)


def _state(body: dict[str, object], now: dt.datetime = NOW, dataset: bool = True) -> GrantState:
    grant = GrantRecord.from_body(body)
    record = DatasetRecord.from_body(dataset_body("snds")) if dataset else None
    return remote_grant_state(grant, record, None, now)


def test_a_remote_grant_is_in_force_without_a_local_workspace_and_binds_the_dataset() -> None:
    state = _state(remote())
    assert state.in_force
    checks = {c.type: c for c in state.checks}
    assert checks["Reader"].reason == "RemoteWorkspace" and "hds-host" in checks["Reader"].message
    assert state.dataset_uid == "uid-snds"
    assert state.workspace_uid == ""


def test_a_remote_grant_ends_when_it_expires_is_deleted_or_loses_its_dataset() -> None:
    assert not _state(remote(), now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC)).in_force
    deleting = remote()
    deleting["metadata"]["deletionTimestamp"] = "2026-11-02T00:00:00Z"  # type: ignore[index]
    assert not _state(deleting).in_force
    assert not _state(remote(), dataset=False).in_force


def test_the_holder_reports_a_remote_grant_ready_with_its_credentials_check() -> None:
    body = remote()
    catalogue = StaticCatalogue.from_bodies([], [dataset_body("snds")], [body])
    issued = Check("Credentials", True, "Issued", "in Secret havre-federation/x")
    outcome = reconcile_grant(body, catalogue, NOW, "snc-host", issued)
    types = [c["type"] for c in outcome.status["conditions"]]
    assert "Credentials" in types and "WorkspaceFound" not in types
    assert outcome.state.in_force
    failed = dataclasses.replace(issued, ok=False, reason="CatalogDatabaseUnavailable")
    assert not reconcile_grant(body, catalogue, NOW, "snc-host", failed).state.in_force


@pytest.mark.parametrize(("annotated", "opened"), [(True, set()), (False, {"snds"})])
def test_a_local_workspace_of_the_same_name_never_reads_a_remote_grant(
    annotated: bool, opened: set[str]
) -> None:
    body = remote() if annotated else grant_body("g", "snds", uid=GRANT_UID)
    catalogue = StaticCatalogue.from_bodies([workspace_body()], [dataset_body("snds")], [body])
    settings = SETTINGS.model_copy(update={"federation": FederationSettings(provider="snc-host")})
    with api_server() as api:
        world = World(api)
        platform = Platform(api.cluster(), settings, world.store, world.catalogs)
        reconcile_workspace(platform, workspace_body(), catalogue, NOW)
        assert world.policy_datasets() == opened


def test_the_secret_holds_credentials_and_endpoints_only_in_its_data() -> None:
    grant = GrantRecord.from_body(remote())
    dataset = DatasetRecord.from_body(dataset_body("snds", "ds-snc", "snds/v1"))
    creds = GrantCredentials(GRANT_UID)
    secret = render_credentials_secret(
        creds,
        grant,
        dataset,
        HolderEndpoints("https://s3.snc:9000", "pg.snc", 5432, "-----BEGIN CERTIFICATE-----"),
        IssuedSecret("s3-secret", "pg-secret"),
    )
    assert secret["metadata"]["namespace"] == SECRET_NAMESPACE
    assert secret["metadata"]["name"] == creds.secret
    assert secret["metadata"]["labels"]["havre.io/grant-uid"] == GRANT_UID
    visible = json.dumps(secret["metadata"])
    assert "s3-secret" not in visible and "pg-secret" not in visible
    data = secret["stringData"]
    assert data["catalog-database"] == "ds_snds" and data["catalog-user"] == creds.role
    assert (data["bucket"], data["prefix"]) == ("ds-snc", "snds/v1")
    assert data["s3-endpoint"].startswith("https://") and data["ca.pem"]
    assert "***" in repr(IssuedSecret("s3-secret", "pg-secret"))
