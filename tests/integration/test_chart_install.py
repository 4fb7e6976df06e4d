"""`helm install` on the local cluster's node: the operator runs as two pods of the local
image with the chart's ServiceAccount only and reconciles a workspace to Ready; one replica
acts and the other takes over when it is deleted; `helm upgrade` with a changed value is
applied by the operator; `helm uninstall` keeps the API, the workspaces and their data.

One install for the module (its tests run in file order and build on each other); the
session's operator process is stopped meanwhile. Trino is off here (its rights are measured
by test_chart_least_privilege.py). Who wrote what comes from the API server's audit log.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.operator_image import USER, operator_image
from devstack.paths import StackPaths
from havre.api import names
from havre.kube.kinds import by_name
from havre.peering import PEERING
from tests.integration.chart import (
    CHART,
    chart_tools,
)
from tests.integration.chart_node import (
    API_CRDS,
    CRD,
    POLICY,
    Install,
    acting,
    admin_objects,
    helm_managed,
    node_values,
    operator_pods,
    pod_ready,
    second_cluster,
    status_writers,
)
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import (
    kubectl,
    running_operator,
    wait_for,
)
from tests.integration.storage import put, read, root_client
from tests.integration.workspaces import apply, condition, delete, unique, wait_ready, workspace

pytestmark = pytest.mark.integration

NAMESPACE = unique("havre-chart")  # an earlier run's may still be terminating
RELEASE = "havre-t"  # holds the chart's name: objects are named RELEASE or RELEASE-*
ACCOUNT = f"system:serviceaccount:{NAMESPACE}:{RELEASE}"
ACTOR = f"{NAMESPACE}/{RELEASE}"  # how Helm marks the release's objects
#: docs/install.md "Several replicas": after a clean stop (a deleted pod) the next replica
#: resumes within seconds; the margin is for a loaded machine.
TAKEOVER_SECONDS = 90


def _pods(kube: Kube) -> list[dict[str, Any]]:
    return operator_pods(kube.cluster, RELEASE, NAMESPACE)


@pytest.fixture(scope="module")
def installed(
    request: pytest.FixtureRequest,
    kube: Kube,
    node: dict[str, Any],
    minio: dict[str, Any],
    postgres: dict[str, Any],
    platform: Platform,
    stack_paths: StackPaths,
) -> Iterator[Install]:
    session_operator = running_operator(request)
    if session_operator is not None:
        session_operator.stop()
    tools = chart_tools(platform("helm"), platform("kubeconform"), platform("ct"))
    try:
        log = stack_paths.state / "logs" / "operator-image.log"
        image = operator_image(Path(node["containerd_socket"]), log)
        admin_objects(kube.kubeconfig, NAMESPACE, minio, postgres)
        kubectl(kube.kubeconfig, "delete", f"{PEERING.plural}.kopf.dev", RELEASE,
                "--ignore-not-found")  # fmt: skip
        values = stack_paths.state / "chart-values.yaml"
        values.write_text(yaml.safe_dump(node_values(image, node)))
        audit_log = Path(platform("kube")["audit_log"])
        start = audit_log.stat().st_size if audit_log.exists() else 0
        result = tools.helm_cmd(
            "install", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(values),
            "--kubeconfig", kube.kubeconfig, "--wait", "--timeout", "10m",
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        yield Install(tools, NAMESPACE, image, values, audit_log, start)
    finally:
        tools.helm_cmd(
            "uninstall", RELEASE, "-n", NAMESPACE, "--kubeconfig", kube.kubeconfig,
            "--wait", "--ignore-not-found",
        )  # fmt: skip
        kubectl(kube.kubeconfig, "delete", "namespace", NAMESPACE, "--wait=false")
        kubectl(
            kube.kubeconfig, "delete", f"{PEERING.plural}.kopf.dev", RELEASE, "--ignore-not-found"
        )
        if session_operator is not None:
            session_operator.start()


def _both_ready_one_acting(kube: Kube) -> bool:
    ready = {p["metadata"]["name"] for p in _pods(kube) if pod_ready(p)}
    return len(ready) == 2 and acting(kube.cluster, RELEASE) in ready


def test_operator_runs_as_two_non_root_read_only_pods_of_the_local_image(
    kube: Kube, installed: Install
) -> None:
    def both_ready() -> list[dict[str, Any]] | None:
        ready = [p for p in _pods(kube) if pod_ready(p)]
        return ready if len(ready) == 2 else None

    pods = wait_for("2 operator pods Ready", both_ready, 300)
    for pod in pods:
        [container] = pod["spec"]["containers"]
        assert container["image"] == installed.image.reference
        assert pod["spec"]["serviceAccountName"] == RELEASE
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert pod["spec"]["securityContext"]["runAsUser"] == int(USER.split(":")[0])
    assert wait_for("one replica acting", lambda: acting(kube.cluster, RELEASE), 120) in {
        p["metadata"]["name"] for p in pods
    }


@pytest.mark.parametrize(
    ("verb", "resource", "namespace", "allowed"),
    [
        ("create", "namespaces", None, True),
        ("patch", "workspaces.havre.io/status", None, True),
        ("bind", "clusterroles/havre-ws-analyst", None, True),
        ("list", "secrets", None, False),
        ("get", "secrets", "kube-system", False),
        ("get", "secrets/object-store-admin", "default", False),
        ("create", "pods", "default", False),
        ("create", "deployments.apps", "default", False),
        ("delete", "namespaces", None, False),
        ("create", "workspaces.havre.io", None, False),
        ("delete", "workspaces.havre.io", None, False),
        ("escalate", "clusterroles", None, False),
        ("bind", "clusterroles/cluster-admin", None, False),
        ("impersonate", "users", None, False),
        ("*", "*", None, False),
    ],
)
def test_the_releases_account_may_do_what_the_operator_needs_and_nothing_broader(
    kube: Kube, installed: Install, verb: str, resource: str, namespace: str | None, allowed: bool
) -> None:
    where = ["-n", namespace] if namespace else ["--all-namespaces"]
    answer = kubectl(kube.kubeconfig, "auth", "can-i", verb, resource, *where, "--as", ACCOUNT)
    assert answer.stdout.strip() == ("yes" if allowed else "no"), (answer.stdout, answer.stderr)


def test_a_workspace_becomes_ready_through_the_charts_pods(kube: Kube, installed: Install) -> None:
    name = unique("chart")
    apply(kube.kubeconfig, workspace(name, members=[{"user": "alice", "role": "owner"}]))
    obj = wait_ready(kube.cluster, name, timeout=300)
    for kind in ("Namespace", "Storage", "Catalog"):
        assert (condition(obj, kind) or {}).get("status") == "True", (kind, obj["status"])
    writers = set(status_writers(installed.audit_log, installed.audit_start, ACCOUNT))
    assert len(writers) == 1, f"status written from several replicas: {writers}"
    delete(kube.kubeconfig, name)


def test_the_other_replica_takes_over_when_the_acting_one_is_deleted(
    kube: Kube, installed: Install
) -> None:
    leader = wait_for("an acting replica", lambda: acting(kube.cluster, RELEASE), 60)
    pods = {p["metadata"]["name"] for p in _pods(kube) if pod_ready(p)}
    assert leader in pods, (leader, sorted(pods))
    [standby] = pods - {leader}
    deleted = kubectl(kube.kubeconfig, "-n", NAMESPACE, "delete", "pod", leader, "--wait=false")
    assert deleted.returncode == 0, deleted.stderr
    started = time.monotonic()
    name = unique("takeover")
    apply(kube.kubeconfig, workspace(name))
    wait_ready(kube.cluster, name, timeout=TAKEOVER_SECONDS)
    assert time.monotonic() - started < TAKEOVER_SECONDS
    assert acting(kube.cluster, RELEASE) == standby
    # Never both at once: the status writes come from one address, then from the other.
    addresses = status_writers(installed.audit_log, installed.audit_start, ACCOUNT)
    switches = sum(1 for a, b in pairwise(addresses) if a != b)
    assert switches == 1, addresses
    delete(kube.kubeconfig, name)


def test_helm_upgrade_with_a_changed_value_is_applied_by_the_operator(
    kube: Kube, installed: Install
) -> None:
    name = unique("upgrade")
    apply(kube.kubeconfig, workspace(name, members=[{"user": "alice", "role": "owner"}]))
    wait_ready(kube.cluster, name, timeout=180)
    values = yaml.safe_load(installed.values.read_text())
    values["operator"]["usernamePrefix"] = "hospital:"
    installed.values.write_text(yaml.safe_dump(values))
    installed.helm(kube.kubeconfig, "upgrade", RELEASE, str(CHART), "-f", str(installed.values),
          "--wait", "--timeout", "10m")  # fmt: skip

    def rebound() -> bool | None:
        bindings = kube.cluster.list(by_name("RoleBinding"), f"ws-{name}")
        subjects = {s["name"] for b in bindings for s in b.get("subjects", [])}
        return True if "hospital:alice" in subjects and "oidc:alice" not in subjects else None

    wait_for("alice's binding under the new username prefix", rebound, 300)
    delete(kube.kubeconfig, name)


def test_a_release_on_a_second_cluster_works_beside_this_one(
    kube: Kube, installed: Install, stack_paths: StackPaths, tmp_path: Path
) -> None:
    """The same release name and namespace, as a pod, on a second local cluster (its own
    control plane, node, object store and catalog database at the stack's port offset + 20),
    owning its API there (CRDs, personas, admission policies, size profiles), while this
    cluster's release runs: nothing of either clashes with the other."""
    with second_cluster(stack_paths) as plane:
        k = plane.kubeconfig
        log = stack_paths.state / "logs" / "operator-image.log"
        image = operator_image(Path(plane.node["containerd_socket"]), log)
        admin_objects(k, NAMESPACE, plane.minio, plane.postgres)
        values = node_values(image, plane.node)
        values["operator"]["replicas"] = 1
        for owned in ("crds", "personas", "sizeProfiles", "admissionPolicies"):
            values[owned] = {"create": True}
        (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
        installed.helm(k, "install", RELEASE, str(CHART), "-f", str(tmp_path / "values.yaml"),
                       "--wait", "--timeout", "10m")  # fmt: skip
        for crd in API_CRDS:
            assert helm_managed(plane.cluster.get(CRD, f"{crd}.havre.io")) == ACTOR
            # This cluster's API is the session's (crds/), untouched by either release.
            assert helm_managed(kube.cluster.get(CRD, f"{crd}.havre.io")) is None
        assert plane.cluster.get(by_name("SizeProfile"), "standard") is not None
        assert plane.cluster.get(POLICY, "havre-operator-scope") is not None
        role = f"{RELEASE}-operator"
        assert helm_managed(plane.cluster.get(by_name("ClusterRole"), role)) == ACTOR
        assert helm_managed(kube.cluster.get(by_name("ClusterRole"), role)) == ACTOR

        name = unique("plane")
        apply(k, workspace(name))
        assert wait_ready(plane.cluster, name, timeout=300)["status"]["namespace"]
        [there] = operator_pods(plane.cluster, RELEASE, NAMESPACE)
        assert acting(plane.cluster, RELEASE) == there["metadata"]["name"]
        # This cluster's release still runs: two replicas Ready (a probe may time out while
        # the other cluster starts on a loaded machine), one of them acting.
        wait_for(
            "this cluster's replicas Ready, one acting", lambda: _both_ready_one_acting(kube), 180
        )
        assert kube.cluster.get(by_name("Workspace"), name) is None

        installed.helm(k, "uninstall", RELEASE, "--wait")
        assert plane.cluster.get(by_name("ClusterRole"), role) is None
        for crd in API_CRDS:
            assert plane.cluster.get(CRD, f"{crd}.havre.io") is not None
        assert plane.cluster.get(POLICY, "havre-operator-scope") is not None
        assert plane.cluster.get(by_name("Workspace"), name) is not None
        assert plane.cluster.get(by_name("Namespace"), f"ws-{name}") is not None
    assert helm_managed(kube.cluster.get(by_name("ClusterRole"), role)) == ACTOR


def test_uninstall_keeps_the_api_the_workspaces_and_their_data(
    kube: Kube, installed: Install, minio: dict[str, Any]
) -> None:
    kept = unique("kept")
    apply(kube.kubeconfig, workspace(kept))
    obj = wait_ready(kube.cluster, kept, timeout=180)
    store = root_client(minio)
    put(store, names.bucket(kept), "results/table.csv", b"a,b\n1,2\n")
    installed.helm(kube.kubeconfig, "uninstall", RELEASE, "--wait")
    wait_for(
        "operator pods gone",
        lambda: _pods(kube) == [] or None,
        180,
    )
    assert kube.cluster.get(by_name("ClusterRole"), f"{RELEASE}-operator") is None
    assert kube.cluster.get(by_name("ServiceAccount"), RELEASE, NAMESPACE) is None
    for crd in API_CRDS:
        assert kube.cluster.get(CRD, f"{crd}.havre.io") is not None
    assert kube.cluster.get(by_name("Workspace"), kept) is not None
    namespace = obj["status"]["namespace"]
    assert kube.cluster.get(by_name("Namespace"), namespace) is not None
    assert kube.cluster.get(by_name("Secret"), "havre-storage", namespace) is not None
    assert read(store, names.bucket(kept), "results/table.csv") == b"a,b\n1,2\n"
