"""A Workspace comes up isolated and sized, follows its spec, repairs drift, and goes away."""

from __future__ import annotations

import time

import pytest

from havre.kube.kinds import by_name
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, havre, kubectl, wait_for
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    approve,
    condition,
    delete,
    example,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration

NAMESPACE = by_name("Namespace")
QUOTA = by_name("ResourceQuota")
LIMITS = by_name("LimitRange")
NETPOL = by_name("NetworkPolicy")
ROLE = by_name("Role")
BINDING = by_name("RoleBinding")
DEPLOYMENT = by_name("Deployment")


def test_cardio_example_becomes_ready_with_every_object_owned(
    kube: Kube, operator: OperatorProcess
) -> None:
    delete(kube.kubeconfig, "cardio")
    wait_for("old cardio gone", lambda: kube.cluster.get(WORKSPACE, "cardio") is None)
    # an earlier cardio's retained data is not this one's: the admin purges it first
    purged = havre(kube.kubeconfig, operator.env, "retained", "purge", "cardio", "--yes")
    assert purged.returncode == 0, purged.stderr
    applied = kubectl(kube.kubeconfig, "apply", "-f", "workspaces/examples/cardio.yaml")
    assert applied.returncode == 0, applied.stderr
    approve(kube.kubeconfig, "cardio")
    ws = wait_provisioned(kube.cluster, "cardio")
    uid = ws["metadata"]["uid"]
    listed = kubectl(kube.kubeconfig, "get", "workspaces")
    # Ready waits for Trino, which cardio's size (two CPUs a node) never fits on the test node.
    assert "cardio" in listed.stdout, listed.stdout

    ns = kube.cluster.get(NAMESPACE, "ws-cardio")
    assert ns is not None
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    objects = [ns]
    for kind, expected in [
        (QUOTA, {"havre-quota"}),
        (LIMITS, {"havre-limits"}),
        (
            NETPOL,
            {
                "havre-default-deny",
                "havre-allow-same-namespace",
                "havre-allow-dns",
                "havre-allow-gateway-to-trino",
            },
        ),
    ]:
        items = kube.cluster.list(kind, "ws-cardio", "app.kubernetes.io/managed-by=havre")
        assert expected <= {i["metadata"]["name"] for i in items}, kind.kind
        objects += items
    # Members are bound to the static ClusterRoles: no Role is rendered in the namespace.
    assert kube.cluster.list(ROLE, "ws-cardio", "app.kubernetes.io/managed-by=havre") == []
    bindings = kube.cluster.list(BINDING, "ws-cardio", "app.kubernetes.io/managed-by=havre")
    members = [b for b in bindings if "havre.io/member-role" in b["metadata"]["labels"]]
    assert {b["roleRef"]["name"] for b in members} == {
        "havre-ws-owner",
        "havre-ws-analyst",
        "havre-ws-viewer",
    }
    (own,) = [b for b in bindings if b["metadata"]["name"] == "havre-operator"]
    assert own["roleRef"]["name"] == "havre-operator-workspace"
    assert len(bindings) == 4
    objects += bindings
    for obj in objects:
        (ref,) = obj["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"]) == ("Workspace", "cardio", uid)
    delete(kube.kubeconfig, "cardio")


def test_member_change_rewrites_bindings_and_group_file_without_restarting_trino(
    kube: Kube, operator: OperatorProcess
) -> None:
    name = unique("edit")
    ns = f"ws-{name}"
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)

    def subjects() -> set[str]:
        return {
            b["subjects"][0]["name"]
            for b in kube.cluster.list(
                BINDING, ns, "app.kubernetes.io/managed-by=havre,havre.io/member-role"
            )
        }

    def template(deployment: str) -> dict[str, object]:
        found = kube.cluster.get(DEPLOYMENT, deployment, ns)
        assert found is not None
        return dict(found["spec"]["template"])

    assert subjects() == {"oidc:alice", "oidc:bob", "oidc:carol"}
    before = {d: template(d) for d in ("trino-coordinator", "trino-worker")}
    apply(kube.kubeconfig, workspace(name, members=[{"user": "bob", "role": "analyst"}]))
    wait_provisioned(kube.cluster, name)
    assert subjects() == {"oidc:alice", "oidc:bob"}
    access = kube.cluster.get(by_name("ConfigMap"), "trino-access", ns)
    assert access is not None and "carol" not in access["data"]["group.txt"]
    # the coordinator re-reads its group file: no pod template changes, nothing restarts
    assert {d: template(d) for d in before} == before

    smaller = example()["spec"]
    apply(
        kube.kubeconfig,
        workspace(
            name,
            members=[{"user": "bob", "role": "analyst"}],
            size={**smaller["size"], "workers": 4},
        ),
    )
    wait_provisioned(kube.cluster, name)
    assert subjects() == {"oidc:alice", "oidc:bob"}
    quota = kube.cluster.get(QUOTA, "havre-quota", ns)
    assert quota is not None
    # 4 workers + coordinator at 2 CPU, plus 1 CPU headroom
    assert quota["spec"]["hard"]["requests.cpu"] == "11"
    worker = kube.cluster.get(DEPLOYMENT, "trino-worker", ns)
    assert worker is not None and worker["spec"]["replicas"] == 4
    delete(kube.kubeconfig, name)


def test_network_policy_deleted_by_hand_comes_back_within_the_repair_interval(
    kube: Kube, operator: OperatorProcess
) -> None:
    name = unique("drift")
    ns = f"ws-{name}"
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)
    kube.cluster.delete(NETPOL, "havre-default-deny", ns)
    removed = time.monotonic()
    wait_for(
        "the default-deny policy to be restored",
        lambda: kube.cluster.get(NETPOL, "havre-default-deny", ns),
        timeout=15,
    )
    print(f"NetworkPolicy restored after {time.monotonic() - removed:.1f}s (repair interval 2s)")
    delete(kube.kubeconfig, name)


def test_deleting_the_workspace_removes_its_namespace(
    kube: Kube, operator: OperatorProcess
) -> None:
    name = unique("gone")
    apply(kube.kubeconfig, workspace(name))
    wait_provisioned(kube.cluster, name)
    delete(kube.kubeconfig, name)
    wait_for(
        "the namespace to be deleted",
        lambda: kube.cluster.get(NAMESPACE, f"ws-{name}") is None,
        timeout=60,
    )


def test_owner_listed_as_viewer_degrades_only_that_entry_and_names_it(
    kube: Kube, operator: OperatorProcess
) -> None:
    name = unique("conflict")
    members = [{"user": "alice", "role": "viewer"}, {"user": "bob", "role": "analyst"}]
    apply(kube.kubeconfig, workspace(name, members=members))

    def not_ready() -> dict[str, object] | None:
        obj = kube.cluster.get(WORKSPACE, name)
        cond, ns = condition(obj), condition(obj, "Namespace")
        if cond and cond["status"] == "False" and ns and ns["status"] == "True":
            return cond
        return None

    cond = wait_for("Ready=False with the namespace in place", not_ready)
    assert cond["reason"] == "OwnerRoleConflict"
    assert "alice is the owner" in str(cond["message"])
    roles = {
        b["subjects"][0]["name"]: b["roleRef"]["name"]
        for b in kube.cluster.list(BINDING, f"ws-{name}", "app.kubernetes.io/managed-by=havre")
        if b["subjects"][0]["kind"] == "User"
    }
    # the conflicting entry is ignored: the owner stays owner, the other members are applied
    assert roles == {"oidc:alice": "havre-ws-owner", "oidc:bob": "havre-ws-analyst"}
    delete(kube.kubeconfig, name)
