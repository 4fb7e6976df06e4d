"""Data stays with the object that made it: a workspace deleted with Retain leaves data its
namesake cannot read until an admin purges or releases it, and a grant binds to the
Workspace it first saw, never to a later object of the same name."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from havre.api import names
from tests.integration.access import (
    catalog_credentials,
    catalog_refused,
    catalog_session,
    s3_read_refused,
)
from tests.integration.catalogdb import INSERT_TABLE
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, havre, kubectl, wait_for
from tests.integration.storage import put, read, root_client, workspace_client
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    dataset,
    grant,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration
KEY = "results/cohort.csv"
ROWS = b"patient,outcome\nP1,readmitted\n"


def _grant_condition(kube: Kube, name: str) -> dict[str, Any] | None:
    got = kubectl(kube.kubeconfig, "get", "datasetgrant", name, "-o", "json")
    return condition(json.loads(got.stdout)) if got.returncode == 0 else None


def _gone(kube: Kube, name: str) -> bool:
    return kube.cluster.get(WORKSPACE, name) is None


def _write_old_data(kube: Kube, minio: dict[str, Any], postgres: dict[str, Any], name: str) -> None:
    """A project's results: an object in its bucket, a table in its catalog."""
    client = wait_for(f"{name}'s credentials", lambda: workspace_client(kube.cluster, name, minio))
    put(client, names.bucket(name), KEY, ROWS)
    creds = catalog_credentials(kube, name, postgres)
    with catalog_session(creds) as conn:
        conn.execute(INSERT_TABLE)


@pytest.fixture(scope="module")
def namesakes(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any], postgres: dict[str, Any]
) -> Iterator[dict[str, str]]:
    """Two workspaces that wrote data, deleted with Retain, each created again by another
    owner (side by side: the old namespaces take a while to go): name → new UID."""
    made = {"purge": unique("reuse"), "release": unique("handover")}
    for name in made.values():
        apply(kube.kubeconfig, workspace(name))
    for name in made.values():
        wait_provisioned(kube.cluster, name, timeout=180)
        _write_old_data(kube, minio, postgres, name)
    for name in made.values():
        kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")
    for name in made.values():
        wait_for(f"{name} gone", functools.partial(_gone, kube, name), 90)
        apply(kube.kubeconfig, workspace(name, owner="carol", members=[]))
    uids = {}
    for role, name in made.items():

        def retained(name: str = name) -> dict[str, Any] | None:
            obj = kube.cluster.get(WORKSPACE, name)
            kinds = ("Ready", "Storage", "Catalog")
            reasons = {(condition(obj, t) or {}).get("reason") for t in kinds}
            return obj if reasons == {"NameRetained"} else None

        # (Ready says NamespaceTerminating until the old namespace is gone.)
        obj = wait_for(f"{name} Ready=False NameRetained", retained, timeout=180)
        uids[role] = str(obj["metadata"]["uid"])
    yield {role: made[role] for role in made} | {f"{r}-uid": u for r, u in uids.items()}
    for name in made.values():
        kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")


def _new_credentials_read_nothing_old(
    kube: Kube, minio: dict[str, Any], postgres: dict[str, Any], name: str
) -> None:
    creds = catalog_credentials(kube, name, postgres)
    assert s3_read_refused(kube, minio, name, names.bucket(name), KEY)
    assert catalog_refused(creds), "the new credentials must not log in to the old catalog"


def test_a_namesake_reads_nothing_retained_and_provisions_fresh_after_purge(
    kube: Kube,
    operator: OperatorProcess,
    namesakes: dict[str, str],
    minio: dict[str, Any],
    postgres: dict[str, Any],
) -> None:
    name = namesakes["purge"]
    _new_credentials_read_nothing_old(kube, minio, postgres, name)

    listed = havre(kube.kubeconfig, operator.env, "retained", "list")
    assert listed.returncode == 0, listed.stderr
    mine = [line.split("\t") for line in listed.stdout.splitlines() if line.startswith(f"{name}\t")]
    assert {(row[1], row[2]) for row in mine} == {("storage", "retained"), ("catalog", "retained")}
    refused = havre(kube.kubeconfig, operator.env, "retained", "purge", name)
    assert refused.returncode != 0 and "--yes" in refused.stderr

    purged = havre(kube.kubeconfig, operator.env, "retained", "purge", name, "--yes")
    assert purged.returncode == 0, purged.stderr
    wait_provisioned(kube.cluster, name, timeout=180)
    client = wait_for("fresh credentials", lambda: workspace_client(kube.cluster, name, minio))
    assert list(client.list_objects(names.bucket(name), recursive=True)) == []
    creds = catalog_credentials(kube, name, postgres)
    wait_for("login to the fresh catalog", lambda: not catalog_refused(creds), timeout=30)
    with catalog_session(creds) as conn:
        assert conn.execute("SELECT count(*) FROM iceberg_tables").fetchone() == (0,)


def test_release_hands_the_retained_data_to_the_namesake(
    kube: Kube,
    operator: OperatorProcess,
    namesakes: dict[str, str],
    minio: dict[str, Any],
    postgres: dict[str, Any],
) -> None:
    name = namesakes["release"]
    _new_credentials_read_nothing_old(kube, minio, postgres, name)
    released = havre(kube.kubeconfig, operator.env, "retained", "release", name)
    assert released.returncode == 0, released.stderr
    assert namesakes["release-uid"] in released.stdout
    wait_provisioned(kube.cluster, name, timeout=180)
    client = wait_for("credentials", lambda: workspace_client(kube.cluster, name, minio))
    wait_for(
        "the released bucket readable with the new credentials",
        lambda: not s3_read_refused(kube, minio, name, names.bucket(name), KEY),
        timeout=30,
    )
    assert read(client, names.bucket(name), KEY) == ROWS
    creds = catalog_credentials(kube, name, postgres)
    wait_for("login to the released catalog", lambda: not catalog_refused(creds), timeout=30)


def test_grants_bind_to_the_workspace_they_first_saw(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    bucket = "havre-datasets"
    root = root_client(minio)
    if not root.bucket_exists(bucket):
        root.make_bucket(bucket)
    ds = unique("bind-ds")
    put(root, bucket, f"{ds}/data.csv", ROWS)
    apply(kube.kubeconfig, dataset(ds, bucket, ds))

    # A grant made before its workspace existed never opens data to it.
    early, ws = unique("early"), unique("later")
    apply(kube.kubeconfig, grant(early, ws, ds))
    reason = wait_for("the early grant's reason", lambda: _grant_condition(kube, early))
    assert reason["reason"] == "WorkspaceNotFound"
    apply(kube.kubeconfig, workspace(ws))
    obj = wait_provisioned(kube.cluster, ws, timeout=180)
    assert obj["status"]["grants"] == []
    assert s3_read_refused(kube, minio, ws, bucket, f"{ds}/data.csv")

    def says_why() -> dict[str, Any] | None:
        found = _grant_condition(kube, early)
        return found if found and "created after" in found["message"] else None

    assert wait_for("the early grant to say why", says_why)["status"] == "False"

    # A grant made after attaches, records the UID, and says WorkspaceDeleted once it goes.
    bound = unique("bound")
    apply(kube.kubeconfig, grant(bound, ws, ds))
    wait_for(
        "the bound grant to open the dataset",
        lambda: not s3_read_refused(kube, minio, ws, bucket, f"{ds}/data.csv"),
        timeout=30,
    )
    got = json.loads(kubectl(kube.kubeconfig, "get", "datasetgrant", bound, "-o", "json").stdout)
    assert got["status"]["workspaceUID"] == obj["metadata"]["uid"]
    ds_obj = json.loads(kubectl(kube.kubeconfig, "get", "dataset", ds, "-o", "json").stdout)
    assert got["status"]["datasetUID"] == ds_obj["metadata"]["uid"]
    kubectl(kube.kubeconfig, "delete", "workspace", ws)

    def workspace_deleted() -> dict[str, Any] | None:
        found = _grant_condition(kube, bound)
        return found if found and found["reason"] == "WorkspaceDeleted" else None

    deleted = wait_for("the bound grant to say WorkspaceDeleted", workspace_deleted, timeout=60)
    assert deleted["status"] == "False"
    for name in (early, bound):
        kubectl(kube.kubeconfig, "delete", "datasetgrant", name, "--wait=false")
    kubectl(kube.kubeconfig, "delete", "dataset", ds, "--wait=false")
