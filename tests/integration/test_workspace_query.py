"""End to end with real pods: the operator's workspace Trino runs on the stack's node, a
member's Keycloak token queries the workspace's own tables joined with a granted dataset
through a port-forward, ``QueryEngine`` follows the Deployments' availability, and the
grant's withdrawal closes the dataset in the running Trino."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trino
from trino.auth import JWTAuthentication

from devstack.trino_client import execute, https_session, keycloak_token
from havre.api.quantity import parse_quantity
from tests.integration.conftest import Kube
from tests.integration.engine_workspace import EngineWorkspace, engine_ready
from tests.integration.helpers import kubectl, wait_for
from tests.integration.pods import create, pod, port_forward
from tests.integration.trino_pods import START_TIMEOUT
from tests.integration.workspaces import WORKSPACE, condition, unique

pytestmark = pytest.mark.integration
TRINO_PODS = "app.kubernetes.io/name=trino"
WORKER_PODS = f"{TRINO_PODS},app.kubernetes.io/component=worker"
#: Errors of a coordinator that does not take queries yet: no answer about the dataset.
NOT_SERVING = ("SERVER_STARTING_UP", "NO_NODES_AVAILABLE")


@pytest.fixture(scope="module")
def coordinator(kube: Kube, engine: EngineWorkspace) -> Iterator[int]:
    """The workspace's Trino Service on localhost (a client outside the cluster)."""
    with port_forward(kube.kubeconfig, engine.namespace, "svc/trino", 8443) as port:
        yield port


def query(port: int, keycloak: dict[str, Any], user: str, sql: str) -> list[list[Any]]:
    token = keycloak_token(keycloak, user, keycloak["users"][user])
    session = https_session(keycloak["ca"])
    return execute(port, session, user, sql, JWTAuthentication(token))


def _pods(kube: Kube, namespace: str, selector: str) -> list[dict[str, Any]]:
    listed = kubectl(kube.kubeconfig, "get", "pods", "-n", namespace, "-l", selector, "-o", "json")
    items: list[dict[str, Any]] = json.loads(listed.stdout)["items"]
    return items


def test_coordinator_and_worker_pods_run_ready_from_the_platforms_trino_image(
    kube: Kube, engine: EngineWorkspace, node: dict[str, Any]
) -> None:
    pods = _pods(kube, engine.namespace, TRINO_PODS)
    components = sorted(p["metadata"]["labels"]["app.kubernetes.io/component"] for p in pods)
    assert components == ["coordinator", "worker"]
    for item in pods:
        ready = {c["type"]: c["status"] for c in item["status"]["conditions"]}
        assert ready["Ready"] == "True", item["status"]
        assert item["spec"]["nodeName"] == node["name"]
        assert item["spec"]["containers"][0]["image"] == node["images"]["trino"]
    obj = kube.cluster.get(WORKSPACE, engine.name)
    engine_condition = condition(obj, "QueryEngine")
    assert engine_condition is not None and engine_condition["reason"] == "Available"
    assert condition(obj)["status"] == "True"  # type: ignore[index]
    print(f"\nTrino pods Available {engine.start_seconds:.0f}s after the workspace was applied")


def test_member_queries_workspace_tables_joined_with_a_granted_dataset(
    kube: Kube, engine: EngineWorkspace, coordinator: int, keycloak: dict[str, Any]
) -> None:
    obj = kube.cluster.get(WORKSPACE, engine.name)
    assert obj is not None
    assert obj["status"]["endpoints"]["trino"] == f"https://trino.{engine.namespace}.svc:8443"
    catalog = engine.dataset.name.replace("-", "_")
    query(coordinator, keycloak, "alice", "CREATE SCHEMA IF NOT EXISTS workspace.results")
    query(
        coordinator,
        keycloak,
        "bob",
        "CREATE TABLE workspace.results.cohort AS "
        f"SELECT ben_nir_psa FROM {catalog}.snds.ir_ben_r WHERE ben_sex_cod = 2",
    )
    first_answer = time.monotonic() - engine.applied_at
    sql = "SELECT count(*) FROM workspace.results.cohort"
    (women,) = query(coordinator, keycloak, "bob", sql)[0]
    joined = query(
        coordinator,
        keycloak,
        "alice",
        "SELECT count(*) FROM workspace.results.cohort c "
        f"JOIN {catalog}.snds.ir_ben_r b ON b.ben_nir_psa = c.ben_nir_psa",
    )
    assert joined == [[women]] and women > 0
    print(
        f"\napply → first answered query: {first_answer:.0f}s "
        f"(Trino pods Available after {engine.start_seconds:.0f}s); cohort of {women} women"
    )


def _free_cpu(kube: Kube, node: str) -> int:
    """Millicores of the node's allocatable CPU no running or pending pod asks for."""
    obj = json.loads(kubectl(kube.kubeconfig, "get", "node", node, "-o", "json").stdout)
    free = parse_quantity(obj["status"]["allocatable"]["cpu"])
    listed = kubectl(
        kube.kubeconfig, "get", "pods", "-A", "-o", "json",
        "--field-selector", f"spec.nodeName={node}",
    )  # fmt: skip
    for item in json.loads(listed.stdout)["items"]:
        if item["status"].get("phase") in ("Succeeded", "Failed"):
            continue
        for container in item["spec"]["containers"]:
            free -= parse_quantity(
                container.get("resources", {}).get("requests", {}).get("cpu", "0")
            )
    return int(free * 1000)


def test_query_engine_goes_false_with_the_deployments_reason_when_a_worker_cannot_fit(
    kube: Kube, engine: EngineWorkspace, node: dict[str, Any]
) -> None:
    """A filler pod takes the CPU a deleted worker frees (it is scheduled first: higher
    priority, no preemption), so the replacement worker cannot be scheduled."""
    namespace, priority = unique("filler"), unique("havre-test-filler")
    kubectl(kube.kubeconfig, "create", "namespace", namespace)
    create(
        kube.kubeconfig,
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": priority},
            "value": 1000000,
            "preemptionPolicy": "Never",
        },
    )
    try:
        (worker,) = _pods(
            kube, engine.namespace, f"{TRINO_PODS},app.kubernetes.io/component=worker"
        )
        cpu = worker["spec"]["containers"][0]["resources"]["requests"]["cpu"]
        wanted = _free_cpu(kube, node["name"]) + int(parse_quantity(cpu) * 1000)
        filler = pod("filler", namespace, node["images"]["pause"], ["/pause"])
        filler["spec"]["priorityClassName"] = priority
        filler["spec"]["containers"][0]["resources"] = {
            "requests": {"cpu": f"{wanted}m", "memory": "16Mi"},
            "limits": {"cpu": f"{wanted}m", "memory": "16Mi"},
        }
        create(kube.kubeconfig, filler)
        deleted = kubectl(
            kube.kubeconfig, "delete", "pod", "-n", engine.namespace, worker["metadata"]["name"],
            "--grace-period=0", "--force",
        )  # fmt: skip
        assert deleted.returncode == 0, deleted.stderr

        def engine_down() -> dict[str, Any] | None:
            obj = kube.cluster.get(WORKSPACE, engine.name)
            cond = condition(obj, "QueryEngine")
            return cond if cond is not None and cond["status"] == "False" else None

        down = wait_for("QueryEngine False", engine_down, timeout=120)
        assert down["reason"] == "MinimumReplicasUnavailable", down
        assert "trino-worker 0/1 available" in down["message"], down
        ready = condition(kube.cluster.get(WORKSPACE, engine.name))
        assert ready is not None and ready["status"] == "False", ready
        pending = _pods(kube, engine.namespace, WORKER_PODS)
        assert [p["status"]["phase"] for p in pending] == ["Pending"], pending
        print(f"\nQueryEngine: {down['reason']}: {down['message']}")
    finally:
        kubectl(kube.kubeconfig, "delete", "namespace", namespace, "--wait=false")
        kubectl(kube.kubeconfig, "delete", "pod", "filler", "-n", namespace, "--grace-period=0",
                "--force")  # fmt: skip
        kubectl(kube.kubeconfig, "delete", "priorityclass", priority)
    # Room again: the worker is scheduled, starts, and the engine is Available again.
    wait_for("QueryEngine True again", lambda: engine_ready(kube.cluster, engine.name), 600, 1)


def test_dataset_is_closed_in_the_running_trino_when_the_grant_is_deleted(
    kube: Kube, engine: EngineWorkspace, coordinator: int, keycloak: dict[str, Any]
) -> None:
    """Runs last: the grant goes; the pods then roll to catalogs without the dataset."""
    catalog = engine.dataset.name.replace("-", "_")
    sql = f"SELECT count(*) FROM {catalog}.snds.ir_ben_r"
    assert query(coordinator, keycloak, "bob", sql)
    deleted_at = time.monotonic()
    kubectl(kube.kubeconfig, "delete", "datasetgrant", engine.grant, "--wait=false")

    def refused() -> str | None:
        """Trino's own refusal of the dataset; None while no coordinator takes queries (the
        running one may stop first: the pods roll to catalogs without the dataset)."""
        try:
            with port_forward(kube.kubeconfig, engine.namespace, "svc/trino", 8443) as port:
                query(port, keycloak, "bob", sql)
        except trino.exceptions.TrinoQueryError as exc:
            return None if exc.error_name in NOT_SERVING else str(exc)
        except Exception:
            return None
        return None

    answer = wait_for("Trino to refuse the dataset", refused, START_TIMEOUT, interval=0.5)
    print(f"\nrevocation seen by Trino after {time.monotonic() - deleted_at:.1f}s: {answer[:120]}")
