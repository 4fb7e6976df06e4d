"""The store stays exactly as ensured however often the operator repeats itself or restarts,
and a workspace recovers by itself from an object-store outage."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from minio import MinioAdmin

from devstack import stack
from devstack.paths import StackPaths
from devstack.s3_clients import admin_client
from havre.api import names
from havre.clients import catalog_database, object_store, trino_ca_bundle
from havre.external.objectstore import canonical_policy
from havre.kube.kinds import by_name
from havre.pipeline.reconcile import Platform, reconcile_workspace
from havre.pipeline.records import StaticCatalogue
from havre.settings import load_settings
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.storage import root_client
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration
SECRET = by_name("Secret")


def admin(minio: dict[str, Any]) -> MinioAdmin:
    return admin_client(minio)


def store_state(kube: Kube, minio: dict[str, Any], name: str) -> dict[str, Any]:
    """Everything of the workspace on the store and its credentials Secret."""
    adm = admin(minio)
    users = json.loads(adm.user_list())
    policies = json.loads(adm.policy_list())
    secret = kube.cluster.get(SECRET, "havre-storage", f"ws-{name}")
    assert secret is not None
    return {
        "users": sorted(u for u in users if u == names.storage_access_key(name)),
        "user": users.get(names.storage_access_key(name)),
        # the workspace's own policies; its members' per-role policies (``--<role>``) aside
        "policies": sorted(
            p
            for p in policies
            if p.startswith(names.storage_principal(name))
            and not p.startswith(f"{names.storage_principal(name)}--")
        ),
        # the store lists actions in no fixed order
        "policy": canonical_policy(policies[names.storage_principal(name)]),
        "buckets": sorted(
            b.name for b in root_client(minio).list_buckets() if b.name == f"ws-{name}"
        ),
        "secret": secret["data"],
        "secret_version": secret["metadata"]["resourceVersion"],
    }


def test_fifty_reconciles_and_a_restart_leave_one_user_one_policy_one_bucket(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any]
) -> None:
    name = unique("repeat")
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)
    wait_for("credentials", lambda: kube.cluster.get(SECRET, "havre-storage", f"ws-{name}"))
    before = store_state(kube, minio, name)
    assert (len(before["users"]), len(before["policies"]), len(before["buckets"])) == (1, 1, 1)

    # The operator's own settings and clients, so both agree on everything the workspace holds.
    settings = load_settings(operator.env)
    platform = Platform(
        cluster=kube.cluster,
        settings=settings,
        store=object_store(settings),
        catalogs=catalog_database(settings),
        trino_ca_bundle=trino_ca_bundle(settings),
    )
    catalogue = StaticCatalogue.listed(kube.cluster)
    for _ in range(50):
        obj = kube.cluster.get(WORKSPACE, name)
        assert obj is not None
        outcome = reconcile_workspace(platform, obj, catalogue, dt.datetime.now(dt.UTC))
        assert not outcome.retry
        assert outcome.changes == []
    assert store_state(kube, minio, name) == before

    operator.stop()
    operator.start()
    time.sleep(5)  # a resume and two repair ticks
    assert store_state(kube, minio, name) == before
    kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_object_store_outage_degrades_then_recovers_without_help(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any], stack_paths: StackPaths
) -> None:
    name = unique("outage")
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)
    stack.down(stack_paths, ["minio"])
    stopped = time.monotonic()
    try:

        def degraded() -> dict[str, Any] | None:
            obj = kube.cluster.get(WORKSPACE, name)
            ready, deg = condition(obj), condition(obj, "Degraded")
            if ready and deg and ready["status"] == "False" and deg["status"] == "True":
                return ready
            return None

        ready = wait_for("the Degraded condition", degraded, timeout=30)
        assert ready["reason"] == "ObjectStoreUnavailable", ready
        assert minio["secret_key"] not in json.dumps(kube.cluster.get(WORKSPACE, name))
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))
    finally:
        stack.up(stack_paths, ["minio"])
    returned = time.monotonic()
    wait_provisioned(kube.cluster, name, timeout=90)
    print(f"\nReady again {time.monotonic() - returned:.1f}s after the object store returned")
    degraded_after = condition(kube.cluster.get(WORKSPACE, name), "Degraded")
    assert degraded_after is not None and degraded_after["status"] == "False"
    kubectl(kube.kubeconfig, "delete", "workspace", name, "--wait=false")
