"""A workspace cannot reach another: the NetworkPolicies the operator renders, enforced by
kube-router on the stack's node, checked with real packets.

Three workspaces made by the operator (their Trino never fits the test node: a small
listener pod labelled as their coordinator stands in for it) and the session's workspace
whose Trino really runs. From a pod in each: TCP to every coordinator and to a pod of every
other workspace, to MinIO, PostgreSQL, Keycloak and the API server at the machine's address,
and DNS. The matrix is printed and must match what the rendered policies say; a second run
with every NetworkPolicy deleted (operator stopped, so it does not restore them) shows the
same probes succeeding, so the first run's denials are the policies' doing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.conftest import Kube
from tests.integration.engine_workspace import EngineWorkspace, engine_ready
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.netprobe import (
    LISTEN_SCRIPT,
    Target,
    egress_allows,
    probe,
    reached,
    table,
)
from tests.integration.pods import create, pod, wait_phase
from tests.integration.workspaces import apply, delete, unique, wait_provisioned, workspace

pytestmark = pytest.mark.integration
COORDINATOR = {"app.kubernetes.io/name": "trino", "app.kubernetes.io/component": "coordinator"}
TRINO_PORT, POD_PORT = 8443, 8080
PLATFORM = ("minio", "postgres", "keycloak", "kube-apiserver")


@dataclass(frozen=True)
class Member:
    """One workspace of the matrix: its namespace, probe pod and coordinator address."""

    namespace: str
    probe_pod: str
    probe_ip: str
    coordinator_ip: str


def _ip(kube: Kube, namespace: str, name: str) -> str:
    return str(wait_phase(kube.kubeconfig, name, namespace, ("Running",))["status"]["podIP"])


@pytest.fixture(scope="module")
def members(
    kube: Kube, operator: OperatorProcess, node: dict[str, Any], engine: EngineWorkspace
) -> Iterator[list[Member]]:
    image = node["images"]["base"]
    listen = ["python3", "-c", LISTEN_SCRIPT]
    names = [unique("iso") for _ in range(3)]
    for name in names:
        apply(kube.kubeconfig, workspace(name))
    try:
        found = []
        for name in names:
            namespace = f"ws-{name}"
            wait_provisioned(kube.cluster, name, timeout=60)
            create(
                kube.kubeconfig,
                pod(
                    "coordinator", namespace, image, [*listen, str(TRINO_PORT)], labels=COORDINATOR
                ),
            )
            create(kube.kubeconfig, pod("probe", namespace, image, [*listen, str(POD_PORT)]))
        for name in names:
            namespace = f"ws-{name}"
            found.append(
                Member(
                    namespace,
                    "probe",
                    _ip(kube, namespace, "probe"),
                    _ip(kube, namespace, "coordinator"),
                )
            )
        # The session's workspace: its coordinator is the real Trino pod.
        create(kube.kubeconfig, pod("probe", engine.namespace, image, [*listen, str(POD_PORT)]))
        real = json.loads(
            kubectl(
                kube.kubeconfig,
                "get",
                "pods",
                "-n",
                engine.namespace,
                "-o",
                "json",
                "-l",
                "app.kubernetes.io/name=trino,app.kubernetes.io/component=coordinator",
            ).stdout
        )["items"]
        assert len(real) == 1, real
        found.append(
            Member(
                engine.namespace,
                "probe",
                _ip(kube, engine.namespace, "probe"),
                real[0]["status"]["podIP"],
            )
        )
        yield found
    finally:
        kubectl(kube.kubeconfig, "delete", "pod", "probe", "-n", engine.namespace, "--wait=false")
        for name in names:
            delete(kube.kubeconfig, name)


def _targets(members: list[Member], node: dict[str, Any]) -> list[Target]:
    targets = [Target(f"coordinator {m.namespace}", m.coordinator_ip, TRINO_PORT) for m in members]
    targets += [Target(f"pod {m.namespace}", m.probe_ip, POD_PORT) for m in members]
    seen = node["platform"]
    for service, key in zip(
        PLATFORM,
        ("object_store", "catalog_database", "identity_provider", "apiserver"),
        strict=True,
    ):
        address, port = seen[key].split("/32:")
        targets.append(Target(service, address, int(port)))
    targets.append(
        Target("dns kubernetes.default", "kubernetes.default.svc.cluster.local", 0, "dns")
    )
    return targets


def _expected(member: Member, target: Target, policies: list[dict[str, Any]]) -> bool:
    if target.kind == "dns":
        return True
    if target.label.startswith(("coordinator", "pod")):
        return target.label.endswith(member.namespace)
    return egress_allows(policies, target.host, target.port)


def _policies(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    listed = kubectl(kube.kubeconfig, "get", "networkpolicies", "-n", namespace, "-o", "json")
    items: list[dict[str, Any]] = json.loads(listed.stdout)["items"]
    return items


def _run(kube: Kube, members: list[Member], targets: list[Target], expect: Any) -> list[Any]:
    rows = []
    for member in members:
        outcomes = probe(kube.kubeconfig, member.probe_pod, member.namespace, targets)
        for target, outcome in zip(targets, outcomes, strict=True):
            rows.append((member.namespace, target.label, expect(member, target), outcome))
    return rows


def _settled(kube: Kube, members: list[Member], targets: list[Target], expect: Any) -> list[Any]:
    """Probe until the observed matrix matches (kube-router applies policy changes within
    seconds), then return it; after the deadline, return the last one (the test fails)."""
    last: list[Any] = []

    def matches() -> bool:
        nonlocal last
        last = _run(kube, members, targets, expect)
        return all(expected == reached(observed) for _, _, expected, observed in last)

    with contextlib.suppress(AssertionError):
        wait_for("the matrix to match the policies", matches, timeout=60, interval=2)
    return last


def test_workspaces_reach_only_what_their_network_policies_allow(
    kube: Kube, operator: OperatorProcess, node: dict[str, Any], members: list[Member],
    engine: EngineWorkspace,
) -> None:  # fmt: skip
    targets = _targets(members, node)
    policies = {m.namespace: _policies(kube, m.namespace) for m in members}
    for namespace, found in policies.items():
        assert {"havre-default-deny", "havre-allow-platform"} <= {
            p["metadata"]["name"] for p in found
        }, namespace

    def by_policy(member: Member, target: Target) -> bool:
        return _expected(member, target, policies[member.namespace])

    enforced = _settled(kube, members, targets, by_policy)
    print("\nwith the workspaces' NetworkPolicies:\n" + table(enforced))
    assert all(expected == reached(observed) for _, _, expected, observed in enforced)
    # Each workspace reaches its own coordinator and the platform, nothing of another.
    assert any(not e for _, _, e, _ in enforced) and any(e for _, _, e, _ in enforced)

    # Without any NetworkPolicy (operator stopped so it does not restore them), the same
    # probes go through: what was denied above was the policies' doing.
    operator.stop()
    try:
        for member in members:
            kubectl(kube.kubeconfig, "delete", "networkpolicies", "--all", "-n", member.namespace)

        def open_to_all(member: Member, target: Target) -> bool:
            return True

        unenforced = _settled(kube, members, targets, open_to_all)
        print("\nwith every NetworkPolicy deleted:\n" + table(unenforced))
        assert all(reached(observed) for _, _, _, observed in unenforced)
    finally:
        operator.start()
    wait_for("the engine's policies restored", lambda: _policies(kube, engine.namespace), 60)
    wait_for("the engine Available", lambda: engine_ready(kube.cluster, engine.name), 300, 1)
