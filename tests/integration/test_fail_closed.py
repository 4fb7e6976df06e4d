"""A poisoned grant never freezes a workspace: while it is there, another grant's deletion,
a member's removal and the workspace's expiry are each enforced at the object store,
PostgreSQL and RBAC within 5 s, the workspace shows Ready=False naming it; and with MinIO
stopped, the removals at PostgreSQL and RBAC still happen."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from devstack import stack
from devstack.paths import StackPaths
from havre.api import names
from tests.integration.access import (
    can_i,
    catalog_credentials,
    catalog_refused,
    dataset_rule_lifted,
    enforced_within,
    in_seconds,
    patch_spec,
    rbac_refused,
    s3_read_refused,
)
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.storage import put, root_client, workspace_client
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

BUCKET = "havre-datasets"
KEY = "ER_PRS_F/part-0.csv"
OWN_KEY = "results/table.csv"
LIMIT = 5.0
KINDS = ("reserved-name", "own-bucket", "other-workspace-bucket", "overlapping")
REASONS = {
    "reserved-name": "ReservedName",
    "own-bucket": "InvalidLocation",
    "other-workspace-bucket": "InvalidLocation",
    "overlapping": "OverlappingLocation",
}


@dataclass(frozen=True)
class Case:
    """A workspace holding a grant in force (``keep``), one to delete (``doomed``), and a
    poisoned grant; members alice (owner), bob and carol."""

    workspace: str
    doomed: str
    poison: str
    reason: str


@dataclass(frozen=True)
class World:
    good: str  # a dataset kept granted
    other: str  # a dataset whose grant is deleted
    cases: dict[str, Case]
    minio: dict[str, Any]
    postgres: dict[str, Any]


def _dataset_with_data(kube: Kube, minio: dict[str, Any], name: str) -> None:
    put(root_client(minio), BUCKET, f"{name}/{KEY}", b"BEN_NIR_PSA\nP0001\n")
    apply(kube.kubeconfig, dataset(name, BUCKET, name))


def _poison(kube: Kube, kind: str, ws: str, good: str, victim: str) -> str:
    """The poisoned dataset of ``kind`` for workspace ``ws``; returns its name."""
    if kind == "reserved-name":
        name = "information-schema"
        apply(kube.kubeconfig, dataset(name, BUCKET, "reserved"))
    elif kind == "overlapping":
        name = unique("overlap")
        apply(kube.kubeconfig, dataset(name, BUCKET, f"{good}/sub"))
    else:
        name = unique("inws")
        bucket = names.bucket(ws if kind == "own-bucket" else victim)
        with dataset_rule_lifted(kube):
            wait_for(
                f"dataset {name} in {bucket} accepted",
                lambda: kubectl(
                    kube.kubeconfig, "apply", "-f", "-",
                    stdin=yaml.safe_dump(dataset(name, bucket, "results")),
                ).returncode == 0,
            )  # fmt: skip
    return name


@pytest.fixture(scope="module")
def world(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any], postgres: dict[str, Any]
) -> Iterator[World]:
    root = root_client(minio)
    if not root.bucket_exists(BUCKET):
        root.make_bucket(BUCKET)
    good, other = unique("fc-good"), unique("fc-other")
    for name in (good, other):
        _dataset_with_data(kube, minio, name)
    victim = unique("fc-victim")
    apply(kube.kubeconfig, workspace(victim))
    cases = {}
    for kind in (*KINDS, "minio-down"):
        ws = unique(f"fc-{kind[:5]}")
        apply(kube.kubeconfig, workspace(ws))
        cases[kind] = ws
    for ws in cases.values():
        wait_provisioned(kube.cluster, ws, timeout=120)
        client = wait_for(
            f"{ws}'s credentials", functools.partial(workspace_client, kube.cluster, ws, minio)
        )
        put(client, names.bucket(ws), OWN_KEY, b"results")
    built = {}
    for kind, ws in cases.items():
        apply(kube.kubeconfig, grant(f"{ws}-keep", ws, good))
        apply(kube.kubeconfig, grant(f"{ws}-doomed", ws, other))
        poison_kind = "reserved-name" if kind == "minio-down" else kind
        poisoned = _poison(kube, poison_kind, ws, good, victim)
        apply(kube.kubeconfig, grant(f"{ws}-poison", ws, poisoned))
        built[kind] = Case(ws, f"{ws}-doomed", f"{ws}-poison", REASONS[poison_kind])
    world = World(good, other, built, minio, postgres)
    for case in built.values():  # latencies are measured on a settled operator
        _poisoned_and_open(kube, world, case)
    yield world
    for case in built.values():
        for g in (case.doomed, case.poison, f"{case.workspace}-keep"):
            kubectl(kube.kubeconfig, "delete", "datasetgrant", g, "--wait=false")
        kubectl(kube.kubeconfig, "delete", "workspace", case.workspace, "--wait=false")
    kubectl(kube.kubeconfig, "delete", "workspace", victim, "--wait=false")


def _poisoned_and_open(kube: Kube, w: World, case: Case) -> None:
    """Wait until the workspace names the poisoned grant and both good grants are open."""

    def named() -> dict[str, Any] | None:
        obj = kube.cluster.get(WORKSPACE, case.workspace)
        ready, grants = condition(obj), condition(obj, "Grants")
        open_grants = {g["name"] for g in (obj or {}).get("status", {}).get("grants", [])}
        if (
            ready
            and grants
            and ready["status"] == "False"
            and grants["reason"] == case.reason
            and case.poison in ready["message"]
            and {case.doomed, f"{case.workspace}-keep"} <= open_grants
        ):
            return ready
        return None

    wait_for(f"{case.workspace} Ready=False naming {case.poison}", named, timeout=60)
    creds = catalog_credentials(kube, case.workspace, w.postgres)
    wait_for(
        "the grant to be deleted to be open at S3 and PostgreSQL",
        lambda: (
            not s3_read_refused(kube, w.minio, case.workspace, BUCKET, f"{w.other}/{KEY}")
            and not catalog_refused(creds, names.dataset_database(w.other))
        ),
        timeout=30,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_poisoned_grant_never_stops_revocation_removal_or_expiry(
    kube: Kube, world: World, kind: str
) -> None:
    case = world.cases[kind]
    ws = case.workspace
    _poisoned_and_open(kube, world, case)
    creds = catalog_credentials(kube, ws, world.postgres)

    kubectl(kube.kubeconfig, "delete", "datasetgrant", case.doomed, "--wait=false")
    deleted = time.monotonic()  # from the moment the API server holds the change
    enforced_within(
        f"[{kind}] deleted grant refused at S3",
        lambda: s3_read_refused(kube, world.minio, ws, BUCKET, f"{world.other}/{KEY}"),
        deleted,
        LIMIT,
    )
    enforced_within(
        f"[{kind}] deleted grant refused at PostgreSQL",
        lambda: catalog_refused(creds, names.dataset_database(world.other)),
        deleted,
        LIMIT,
    )
    kept = s3_read_refused(kube, world.minio, ws, BUCKET, f"{world.good}/{KEY}")
    assert not kept, "the kept grant stays"

    patch_spec(kube, ws, members=[{"user": "carol", "role": "viewer"}])
    removed = time.monotonic()
    enforced_within(
        f"[{kind}] removed member refused in RBAC",
        lambda: rbac_refused(kube, ws, "bob"),
        removed,
        LIMIT,
    )
    assert (can_i(kube, ws, "bob"), can_i(kube, ws, "carol")) == ("no", "yes")

    expires = in_seconds(3)
    patch_spec(kube, ws, expires=expires)
    wait_for("the expiry moment", lambda: time.time() >= _epoch(expires), timeout=10)
    expired = time.monotonic()
    enforced_within(
        f"[{kind}] expiry at S3",
        lambda: s3_read_refused(kube, world.minio, ws, names.bucket(ws), OWN_KEY),
        expired,
        LIMIT,
    )
    enforced_within(
        f"[{kind}] expiry at PostgreSQL", lambda: catalog_refused(creds), expired, LIMIT
    )
    enforced_within(
        f"[{kind}] expiry in RBAC (owner)", lambda: rbac_refused(kube, ws, "alice"), expired, LIMIT
    )
    assert can_i(kube, ws, "alice") == "no"
    ready = condition(kube.cluster.get(WORKSPACE, ws))
    assert ready is not None and ready["status"] == "False" and case.poison in ready["message"]


def _epoch(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_with_minio_stopped_postgresql_and_rbac_removals_still_happen(
    kube: Kube, world: World, stack_paths: StackPaths
) -> None:
    case = world.cases["minio-down"]
    ws = case.workspace
    _poisoned_and_open(kube, world, case)
    creds = catalog_credentials(kube, ws, world.postgres)
    stack.down(stack_paths, ["minio"])
    try:
        kubectl(kube.kubeconfig, "delete", "datasetgrant", case.doomed, "--wait=false")
        deleted = time.monotonic()
        enforced_within(
            "[minio down] deleted grant refused at PostgreSQL",
            lambda: catalog_refused(creds, names.dataset_database(world.other)),
            deleted,
            LIMIT,
        )
        patch_spec(kube, ws, members=[{"user": "carol", "role": "viewer"}])
        removed = time.monotonic()
        enforced_within(
            "[minio down] removed member refused in RBAC",
            lambda: rbac_refused(kube, ws, "bob"),
            removed,
            LIMIT,
        )
        expires = in_seconds(3)
        patch_spec(kube, ws, expires=expires)
        wait_for("the expiry moment", lambda: time.time() >= _epoch(expires), timeout=10)
        expired = time.monotonic()
        enforced_within(
            "[minio down] expiry at PostgreSQL", lambda: catalog_refused(creds), expired, LIMIT
        )
        enforced_within(
            "[minio down] expiry in RBAC", lambda: rbac_refused(kube, ws, "alice"), expired, LIMIT
        )
        storage = condition(kube.cluster.get(WORKSPACE, ws), "Storage")
        assert storage is not None and storage["reason"] == "ObjectStoreUnavailable"
    finally:
        stack.up(stack_paths, ["minio"])
    wait_for(
        "the object store to refuse the expired workspace once back",
        lambda: s3_read_refused(kube, world.minio, ws, names.bucket(ws), OWN_KEY),
        timeout=90,
    )
