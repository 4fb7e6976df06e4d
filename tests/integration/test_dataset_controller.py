"""The Dataset controller: a valid dataset gets its catalog database and lists the
workspaces granted; an invalid one says why, and its grants degrade only themselves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from havre.api import names
from tests.integration.catalogdb import superuser
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
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


def _status(kube: Kube, kind: str, name: str) -> dict[str, Any]:
    got = kubectl(kube.kubeconfig, "get", kind, name, "-o", "json")
    return dict(json.loads(got.stdout).get("status") or {}) if got.returncode == 0 else {}


def _ready(kube: Kube, kind: str, name: str) -> dict[str, Any] | None:
    return condition({"status": _status(kube, kind, name)})


def _ready_is(kube: Kube, kind: str, name: str, **want: str) -> dict[str, Any] | None:
    """Ready of the object when each field of ``want`` has that value, else None."""
    found = _ready(kube, kind, name)
    return found if found and all(found.get(k) == v for k, v in want.items()) else None


@pytest.fixture(scope="module")
def ws(kube: Kube, operator: OperatorProcess) -> Iterator[str]:
    """One workspace the grants of this module name."""
    name = unique("dsc-ws")
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name, timeout=60)
    yield name
    kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_valid_dataset_gets_its_catalog_and_lists_the_workspaces_granted(
    kube: Kube, ws: str, postgres: dict[str, Any]
) -> None:
    ds = unique("dsc")
    apply(kube.kubeconfig, dataset(ds, BUCKET, ds))
    wait_for("the dataset Ready", lambda: _ready_is(kube, "dataset", ds, status="True"))
    with superuser(postgres) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [names.dataset_database(ds)]
        ).fetchone()
    assert found is not None, "the ds_ catalog database exists before any grant"
    apply(kube.kubeconfig, grant(f"{ws}-g", ws, ds))
    wait_for(
        "grantedTo to name the workspace",
        lambda: _status(kube, "dataset", ds).get("grantedTo") == [ws],
        timeout=30,
    )
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-g")
    wait_for(
        "grantedTo to drop it",
        lambda: _status(kube, "dataset", ds).get("grantedTo") == [],
        timeout=30,
    )
    kubectl(kube.kubeconfig, "delete", "dataset", ds, "--wait=false")


@pytest.mark.parametrize(
    ("make", "reason"),
    [("reserved", "ReservedName"), ("overlapping", "OverlappingLocation")],
)
def test_invalid_dataset_says_why_and_its_grant_degrades_only_itself(
    kube: Kube, ws: str, make: str, reason: str
) -> None:
    base = unique("dsb")
    apply(kube.kubeconfig, dataset(base, BUCKET, base))
    if make == "reserved":
        bad = "system"
        apply(kube.kubeconfig, dataset(bad, BUCKET, "system-catalog"))
    else:
        bad = unique("dso")
        apply(kube.kubeconfig, dataset(bad, BUCKET, f"{base}/2019"))
    got = wait_for(
        f"the dataset to say {reason}",
        lambda: _ready_is(kube, "dataset", bad, reason=reason),
        timeout=30,
    )
    assert got["status"] == "False"
    wait_for(
        "the earlier dataset to stay valid",
        lambda: _ready_is(kube, "dataset", base, status="True"),
    )
    ok, bad_grant = unique(f"{make}-ok"), unique(f"{make}-bad")
    apply(kube.kubeconfig, grant(ok, ws, base))
    apply(kube.kubeconfig, grant(bad_grant, ws, bad))
    wait_for(
        "the bad grant to carry the dataset's reason",
        lambda: _ready_is(kube, "datasetgrant", bad_grant, reason=reason),
        timeout=30,
    )

    def degraded() -> dict[str, Any] | None:
        obj = kube.cluster.get(WORKSPACE, ws)
        grants = condition(obj, "Grants")
        in_force = [g["name"] for g in (obj or {}).get("status", {}).get("grants", [])]
        if grants and grants["reason"] == reason and in_force == [ok]:
            return obj
        return None

    obj = wait_for("the workspace to name the bad grant", degraded, timeout=30)
    assert bad_grant in str(condition(obj)["message"])  # type: ignore[index]
    assert _ready_is(kube, "datasetgrant", ok, status="True")
    for name in (ok, bad_grant):
        kubectl(kube.kubeconfig, "delete", "datasetgrant", name)
    for name in (base, bad):
        kubectl(kube.kubeconfig, "delete", "dataset", name, "--wait=false")
