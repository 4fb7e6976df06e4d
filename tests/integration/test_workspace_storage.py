"""Each workspace gets storage only it can reach; dataset grants open read-only access that
ends on time; deletion keeps or removes data as the policy says."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from minio.error import S3Error

from devstack.s3_clients import admin_client
from havre.api import names
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.storage import (
    denied,
    inventory,
    put,
    read,
    root_client,
    workspace_client,
)
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    unique,
    wait_provisioned,
    workspace,
)
from tests.integration.workspaces import dataset as dataset_manifest
from tests.integration.workspaces import grant as grant_manifest

pytestmark = pytest.mark.integration

DATASET_BUCKET = "havre-datasets"
ROWS = b"BEN_NIR_PSA,EXE_SOI_DTD\nP0001,2021-03-04\n"


def ready_workspace(kube: Kube, minio: dict[str, Any], name: str, **spec: Any) -> Any:
    apply(kube.kubeconfig, workspace(name, **spec))
    wait_provisioned(kube.cluster, name)
    return wait_for(f"{name}'s credentials", lambda: workspace_client(kube.cluster, name, minio))


def in_seconds(seconds: float) -> str:
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def dataset(kube: Kube, minio: dict[str, Any]) -> Iterator[str]:
    """A dataset published by the platform: objects under a prefix of the datasets bucket."""
    root = root_client(minio)
    if not root.bucket_exists(DATASET_BUCKET):
        root.make_bucket(DATASET_BUCKET)
    name = unique("snds")
    put(root, DATASET_BUCKET, f"{name}/ER_PRS_F/part-0.csv", ROWS)
    put(root, DATASET_BUCKET, "other-dataset/secret.csv", b"not granted")
    apply(kube.kubeconfig, dataset_manifest(name, DATASET_BUCKET, name))
    yield name
    kubectl(kube.kubeconfig, "delete", "dataset", name, "--ignore-not-found")


def grant(kube: Kube, name: str, ws: str, ds: str, expires: str = "2030-01-01T00:00:00Z") -> None:
    apply(kube.kubeconfig, grant_manifest(name, ws, ds, expires))


def test_workspace_reads_and_writes_its_bucket_and_is_denied_on_another(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    a, b = unique("sa"), unique("sb")
    client_a = ready_workspace(kube, minio, a)
    client_b = ready_workspace(kube, minio, b)
    put(client_a, f"ws-{a}", "results/table.csv", b"x,y\n1,2\n")
    assert read(client_a, f"ws-{a}", "results/table.csv") == b"x,y\n1,2\n"
    put(client_b, f"ws-{b}", "private.csv", b"b's data")
    assert denied(lambda: read(client_a, f"ws-{b}", "private.csv"))
    assert denied(lambda: put(client_a, f"ws-{b}", "intrusion.csv", b"!"))
    status = kube.cluster.get(WORKSPACE, a)
    assert status is not None
    assert status["status"]["endpoints"]["bucket"] == f"ws-{a}"
    assert "secret" not in yaml.safe_dump(status["status"]).lower()
    for name in (a, b):
        kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_dataset_is_readable_only_while_granted_and_never_writable(
    kube: Kube, operator: OperatorProcess, dataset: str, minio: dict[str, Any]
) -> None:
    ws = unique("grantee")
    client = ready_workspace(kube, minio, ws)
    key = f"{dataset}/ER_PRS_F/part-0.csv"
    assert denied(lambda: read(client, DATASET_BUCKET, key))
    grant(kube, f"{ws}-g", ws, dataset)
    wait_for(
        "the grant to open the dataset",
        lambda: not denied(lambda: read(client, DATASET_BUCKET, key)),
    )
    assert read(client, DATASET_BUCKET, key) == ROWS
    assert denied(lambda: put(client, DATASET_BUCKET, f"{dataset}/tampered.csv", b"!"))
    assert denied(lambda: read(client, DATASET_BUCKET, "other-dataset/secret.csv"))
    listed = kube.cluster.get(WORKSPACE, ws)
    assert listed is not None
    wait_for(
        "the grant in the workspace status",
        lambda: (kube.cluster.get(WORKSPACE, ws) or {}).get("status", {}).get("grants"),
    )

    deleted_at = time.monotonic()
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-g", "--wait=false")
    wait_for("revocation", lambda: denied(lambda: read(client, DATASET_BUCKET, key)), timeout=10)
    delay = time.monotonic() - deleted_at
    print(f"\nrevocation delay after deleting the grant: {delay:.2f}s")
    assert delay < 5
    kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def test_grant_is_revoked_at_its_expiry(
    kube: Kube, operator: OperatorProcess, dataset: str, minio: dict[str, Any]
) -> None:
    ws = unique("expiring")
    client = ready_workspace(kube, minio, ws)
    key = f"{dataset}/ER_PRS_F/part-0.csv"
    expires = in_seconds(8)
    grant(kube, f"{ws}-g", ws, dataset, expires=expires)
    wait_for(
        "the grant to open the dataset",
        lambda: not denied(lambda: read(client, DATASET_BUCKET, key)),
    )
    expiry = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    wait_for(
        "revocation at expiry",
        lambda: denied(lambda: read(client, DATASET_BUCKET, key)),
        timeout=20,
    )
    delay = (dt.datetime.now(dt.UTC) - expiry).total_seconds()
    print(f"\nrevocation delay after the grant's expiry: {delay:.2f}s")
    assert delay < 5

    def expired_condition() -> dict[str, Any] | None:
        obj = kube.cluster.get(WORKSPACE, ws)
        g = kubectl(kube.kubeconfig, "get", "datasetgrant", f"{ws}-g", "-o", "yaml")
        cond = condition(yaml.safe_load(g.stdout)) if g.returncode == 0 else None
        return cond if obj is not None and cond and cond["reason"] == "Expired" else None

    wait_for("the grant to say Expired", expired_condition)
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-g", "--wait=false")
    kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def test_grant_for_a_missing_workspace_says_so(kube: Kube, operator: OperatorProcess) -> None:
    name = unique("orphan")
    grant(kube, name, unique("nowhere"), unique("nothing"))

    def reason() -> str | None:
        got = kubectl(kube.kubeconfig, "get", "datasetgrant", name, "-o", "yaml")
        cond = condition(yaml.safe_load(got.stdout)) if got.returncode == 0 else None
        return str(cond["reason"]) if cond else None

    assert wait_for("the grant's condition", reason) == "WorkspaceNotFound"
    kubectl(kube.kubeconfig, "delete", "datasetgrant", name, "--wait=false")


def test_writing_past_the_quota_is_refused(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    ws = unique("quota")
    client = ready_workspace(kube, minio, ws, size={"storage": "1Mi"})
    assert denied_or_quota(lambda: put(client, f"ws-{ws}", "big.bin", b"0" * (2 << 20)))
    kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def denied_or_quota(action: Any) -> bool:
    try:
        action()
    except S3Error as exc:
        return exc.code in ("XMinioAdminBucketQuotaExceeded", "AccessDenied", "EntityTooLarge")
    return False


def test_suspension_disables_credentials_and_resumption_restores_them(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    ws = unique("suspend")
    client = ready_workspace(kube, minio, ws)
    put(client, f"ws-{ws}", "kept.csv", b"kept")
    apply(kube.kubeconfig, workspace(ws, suspended=True))
    wait_for("credentials disabled", lambda: denied(lambda: read(client, f"ws-{ws}", "kept.csv")))
    apply(kube.kubeconfig, workspace(ws, suspended=False))
    wait_for(
        "credentials restored", lambda: not denied(lambda: read(client, f"ws-{ws}", "kept.csv"))
    )
    assert read(client, f"ws-{ws}", "kept.csv") == b"kept"
    kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def test_retain_deletion_keeps_every_object_version(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    ws = unique("retain")
    client = ready_workspace(kube, minio, ws)
    for i in range(3):
        put(client, f"ws-{ws}", "cohort.csv", f"version {i}".encode())
    put(client, f"ws-{ws}", "notes.txt", b"notes")
    client.remove_object(f"ws-{ws}", "notes.txt")  # a delete marker over a kept version
    root = root_client(minio)
    before = inventory(root, f"ws-{ws}")
    assert len(before) == 4
    kubectl(kube.kubeconfig, "delete", "workspace", ws)
    wait_for(
        "the workspace to be gone", lambda: kube.cluster.get(WORKSPACE, ws) is None, timeout=60
    )
    assert inventory(root, f"ws-{ws}") == before
    assert denied(lambda: read(client, f"ws-{ws}", "cohort.csv"))


def test_delete_policy_removes_bucket_user_and_policy_and_nothing_else(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    doomed, bystander = unique("doomed"), unique("bystander")
    client = ready_workspace(kube, minio, doomed, deletionPolicy="Delete")
    ready_workspace(kube, minio, bystander)
    put(client, f"ws-{doomed}", "a.csv", b"1")
    put(client, f"ws-{doomed}", "a.csv", b"2")
    admin = admin_client(minio)
    kubectl(kube.kubeconfig, "delete", "workspace", doomed)
    wait_for(
        "the workspace to be gone", lambda: kube.cluster.get(WORKSPACE, doomed) is None, timeout=60
    )
    root = root_client(minio)
    assert not root.bucket_exists(f"ws-{doomed}")
    assert root.bucket_exists(f"ws-{bystander}")
    users = json.loads(admin.user_list())
    policies = json.loads(admin.policy_list())
    assert names.storage_access_key(doomed) not in users
    assert names.storage_principal(doomed) not in policies
    assert names.storage_access_key(bystander) in users
    assert names.storage_principal(bystander) in policies
    kubectl(kube.kubeconfig, "delete", "workspace", bystander, "--wait=false")
