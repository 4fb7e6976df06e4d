"""The operator survives being killed mid-reconcile, and leaves an idle cluster alone."""

from __future__ import annotations

import random
import time

import pytest
import yaml

from havre.kube.kinds import by_name
from havre.pipeline.apply_cluster import CLUSTER_KINDS, NAMESPACED_KINDS
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    delete,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration
MANAGED = "app.kubernetes.io/managed-by=havre"


def _managed_names(kube: Kube, name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for kind in NAMESPACED_KINDS:
        items = kube.cluster.list(
            kind, f"ws-{name}", f"{MANAGED},app.kubernetes.io/instance={name}"
        )
        found += [(kind.kind, i["metadata"]["name"]) for i in items]
    for kind in CLUSTER_KINDS:
        items = kube.cluster.list(kind, None, f"{MANAGED},app.kubernetes.io/instance={name}")
        found += [(kind.kind, i["metadata"]["name"]) for i in items]
    return found


def test_killed_operator_converges_on_twenty_ready_workspaces_without_duplicates(
    kube: Kube, operator: OperatorProcess
) -> None:
    rng = random.Random(20)
    batch = unique("burst")
    names = [f"{batch}-{i}" for i in range(20)]
    docs = "---\n".join(yaml.safe_dump(workspace(n)) for n in names)
    created = kubectl(kube.kubeconfig, "apply", "-f", "-", stdin=docs)
    assert created.returncode == 0, created.stderr
    started = time.monotonic()
    kills = []
    for _ in range(3):
        time.sleep(rng.uniform(0.1, 1.5))
        operator.kill()
        kills.append(round(time.monotonic() - started, 2))
        operator.start()
    for name in names:
        wait_provisioned(kube.cluster, name, timeout=120)
    print(f"\nkilled at {kills}s; 20 Ready after {time.monotonic() - started:.1f}s")
    for name in names:
        objects = _managed_names(kube, name)
        assert len(objects) == len(set(objects)), f"duplicates in {name}: {objects}"
        kinds = sorted(k for k, _ in objects)
        # quota, limits, 6 policies (one for the platform's endpoints, one admitting the
        # stack's metrics scraper to the coordinator), 1 service account, bindings, owner access
        assert kinds.count("NetworkPolicy") == 6, objects
        # three members' bindings and the operator's own; no Role (static ClusterRoles)
        assert kinds.count("RoleBinding") == 4, objects
        assert kinds.count("Role") == 0, objects
        assert (kinds.count("ClusterRole"), kinds.count("ClusterRoleBinding")) == (1, 1)
    for name in names:
        delete(kube.kubeconfig, name)
    wait_for(
        "the burst's owner roles to be garbage-collected",
        lambda: (
            not any(
                i["metadata"]["name"].startswith(f"havre-ws-{batch}")
                for i in kube.cluster.list(by_name("ClusterRole"), None, MANAGED)
            )
        ),
        timeout=60,
    )


def test_idle_operator_writes_nothing(kube: Kube, operator: OperatorProcess) -> None:
    name = unique("idle")
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)
    time.sleep(3)  # let the first repair tick pass

    def versions() -> dict[str, str]:
        ws = kube.cluster.get(WORKSPACE, name)
        assert ws is not None and condition(ws) is not None
        seen = {"Workspace": ws["metadata"]["resourceVersion"]}
        for kind in [*NAMESPACED_KINDS, *CLUSTER_KINDS]:
            ns = f"ws-{name}" if kind.namespaced else None
            for item in kube.cluster.list(kind, ns, f"{MANAGED},app.kubernetes.io/instance={name}"):
                seen[f"{kind.kind}/{item['metadata']['name']}"] = item["metadata"][
                    "resourceVersion"
                ]
        return seen

    before = versions()
    time.sleep(7)  # more than three repair intervals of 2 s
    after = versions()
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert not changed, f"the idle operator wrote: {changed}"
    delete(kube.kubeconfig, name)
