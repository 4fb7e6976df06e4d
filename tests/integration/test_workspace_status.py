"""A workspace's status says what the last reconcile found, and a workspace created
suspended converges to a suspended, Ready workspace."""

from __future__ import annotations

from typing import Any

import pytest

from havre.api import names
from tests.integration.access import s3_read_refused
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.storage import root_client
from tests.integration.workspaces import WORKSPACE, apply, condition, unique, workspace

pytestmark = pytest.mark.integration


def test_created_suspended_converges_to_a_suspended_ready_workspace(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    name = unique("asleep")
    apply(kube.kubeconfig, workspace(name, suspended=True))

    def suspended_ready() -> dict[str, Any] | None:
        obj = kube.cluster.get(WORKSPACE, name)
        ready, storage = condition(obj), condition(obj, "Storage")
        if ready and storage and (ready["status"], ready["reason"]) == ("True", "Suspended"):
            return obj
        return None

    obj = wait_for("Ready=True, reason Suspended", suspended_ready, timeout=60)
    assert condition(obj, "Storage")["status"] == "True"  # type: ignore[index]
    assert condition(obj, "Catalog")["status"] == "True"  # type: ignore[index]
    assert root_client(minio).bucket_exists(names.bucket(name))
    assert s3_read_refused(kube, minio, name, names.bucket(name), "anything.csv")
    kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_status_keeps_nothing_an_earlier_reconcile_wrote(
    kube: Kube, operator: OperatorProcess
) -> None:
    name = unique("fresh")
    apply(kube.kubeconfig, workspace(name))
    obj = wait_for(
        "Ready", lambda: (o := kube.cluster.get(WORKSPACE, name)) and condition(o) and o, 60
    )
    stale = {
        "endpoints": {**obj["status"].get("endpoints", {}), "trino": "https://stale.example"},
        "grants": [
            {
                "name": "gone",
                "dataset": "gone",
                "legalBasis": "MR-004",
                "expires": "2030-01-01T00:00:00Z",
            }
        ],
    }
    kube.cluster.patch_status(WORKSPACE, name, stale)

    def cleared() -> bool:
        status = (kube.cluster.get(WORKSPACE, name) or {}).get("status", {})
        return bool(
            status.get("grants") == []
            and status.get("endpoints", {}).get("trino") != "https://stale.example"
        )

    wait_for("the stale endpoint and grant to be cleared", cleared, timeout=30)
    kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")
