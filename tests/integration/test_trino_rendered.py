"""A workspace's Trino, rendered by the operator and run as pods from what the API server holds.

Real Trino 476 (a coordinator and one worker pod on the stack's node, internal traffic over
TLS), PostgreSQL, MinIO, Keycloak and API server. Members sign in with Keycloak tokens over
HTTPS: alice owns the workspace, bob is an analyst, carol a viewer; a fresh Keycloak user is
no member.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.paths import StackPaths
from havre.api import names
from havre.api.model import Member, Role
from havre.kube.cluster import Cluster
from havre.pipeline.render.trino_internal import internal_bearer_token
from havre.pipeline.render.trino_workloads import CHECKSUM_ANNOTATION, render_trino
from tests.integration.conftest import Platform
from tests.integration.helpers import wait_for
from tests.integration.pods import exec_in
from tests.integration.trino_workspace import (
    RunningWorkspace,
    query,
    refused,
    rendered_workspace,
)

pytestmark = pytest.mark.integration
DENIED = "Access Denied"


@pytest.fixture(scope="module")
def running(platform: Platform, stack_paths: StackPaths) -> Iterator[RunningWorkspace]:
    with rendered_workspace(platform, stack_paths) as run:
        print(
            f"\nrendered Trino (coordinator + 1 worker) started in {run.trino.start_seconds:.1f}s"
        )
        yield run


@pytest.fixture(scope="module")
def stays(running: RunningWorkspace) -> str:
    """``workspace.cohort.stays``, made by the owner, holding two rows."""
    query(running, "alice", "CREATE SCHEMA workspace.cohort")
    query(running, "alice", "CREATE TABLE workspace.cohort.stays (stay_id bigint, dgn_pal varchar)")
    inserted = query(
        running, "alice", "INSERT INTO workspace.cohort.stays VALUES (1, 'I50'), (2, 'E11')"
    )
    assert inserted == [[2]]
    return "workspace.cohort.stays"


def test_owner_creates_schema_and_table_inserts_and_reads_rows_over_https(
    running: RunningWorkspace, stays: str
) -> None:
    rows = query(running, "alice", "SELECT stay_id, dgn_pal FROM workspace.cohort.stays ORDER BY 1")
    assert rows == [[1, "I50"], [2, "E11"]]


def test_coordinator_and_worker_form_one_cluster(running: RunningWorkspace) -> None:
    nodes = query(running, "alice", "SELECT coordinator, state FROM system.runtime.nodes")
    assert sorted(nodes) == [[False, "active"], [True, "active"]]


def test_analyst_writes_to_the_workspace(running: RunningWorkspace, stays: str) -> None:
    assert query(running, "bob", "INSERT INTO workspace.cohort.stays VALUES (3, 'I21')") == [[1]]
    assert query(running, "bob", "DELETE FROM workspace.cohort.stays WHERE stay_id = 3") == [[1]]


def test_viewer_reads_but_cannot_write(running: RunningWorkspace, stays: str) -> None:
    assert query(running, "carol", "SELECT count(*) FROM workspace_readonly.cohort.stays") == [[2]]
    for statement in (
        "INSERT INTO workspace_readonly.cohort.stays VALUES (9, 'X')",
        "DELETE FROM workspace_readonly.cohort.stays",
        "UPDATE workspace_readonly.cohort.stays SET dgn_pal = 'X'",
        "DROP TABLE workspace_readonly.cohort.stays",
        "CREATE TABLE workspace_readonly.cohort.mine (x int)",
        "CREATE SCHEMA workspace_readonly.mine",
        "SELECT count(*) FROM workspace.cohort.stays",
        "INSERT INTO workspace.cohort.stays VALUES (9, 'X')",
    ):
        assert DENIED in refused(running, "carol", statement), statement


def test_viewer_cannot_roll_back_or_rewrite_a_table(running: RunningWorkspace, stays: str) -> None:
    (first,) = query(
        running,
        "alice",
        'SELECT snapshot_id FROM workspace.cohort."stays$snapshots" ORDER BY committed_at LIMIT 1',
    )
    for catalog in ("workspace", "workspace_readonly"):
        for procedure in (f"rollback_to_snapshot({first[0]})", "optimize", "expire_snapshots"):
            statement = f"ALTER TABLE {catalog}.cohort.stays EXECUTE {procedure}"
            assert DENIED in refused(running, "carol", statement), statement
    assert query(running, "alice", "SELECT count(*) FROM workspace.cohort.stays") == [[2]]


def test_non_member_token_is_refused(running: RunningWorkspace) -> None:
    assert DENIED in refused(running, running.outsider, "SELECT 1")
    assert DENIED in refused(running, running.outsider, "SHOW CATALOGS")


def test_request_without_token_is_rejected(running: RunningWorkspace) -> None:
    resp = requests.post(
        f"{running.trino.url}/v1/statement",
        data="SELECT 1",
        headers={"X-Trino-User": "alice"},
        verify=running.keycloak["ca"],
        timeout=10,
    )
    assert resp.status_code == 401


def test_member_cannot_act_as_another_member(running: RunningWorkspace) -> None:
    with pytest.raises(Exception, match="cannot impersonate user bob"):
        query(running, "carol", "SELECT 1", session_user="bob")


def test_nobody_can_shorten_snapshot_retention(running: RunningWorkspace) -> None:
    statement = "SET SESSION workspace.expire_snapshots_min_retention = '0s'"
    assert DENIED in refused(running, "alice", statement)


def test_dataset_catalog_is_readable_but_refuses_writes(running: RunningWorkspace) -> None:
    catalog = running.dataset.catalog_name
    schemas = query(running, "carol", f"SHOW SCHEMAS FROM {catalog}")
    assert schemas == [["information_schema"], ["system"]]
    # The rules refuse first; the connector itself is read-only underneath.
    assert DENIED in refused(running, "alice", f"CREATE SCHEMA {catalog}.mine")


def test_routes_to_storage_outside_the_workspace_are_closed(
    running: RunningWorkspace, stays: str
) -> None:
    elsewhere = f"s3://{running.other_bucket}/stolen"
    in_dataset = f"s3://{running.dataset.bucket}/{running.dataset.prefix}/planted"
    query(running, "alice", f"CREATE SCHEMA workspace.away WITH (location = '{elsewhere}')")
    routes = {
        "CALL system.register_table": "CALL workspace.system.register_table(schema_name => "
        f"'cohort', table_name => 'theirs', table_location => '{elsewhere}')",
        "CALL system.unregister_table": "CALL workspace.system.unregister_table("
        "schema_name => 'cohort', table_name => 'stays')",
        "ALTER TABLE EXECUTE add_files": "ALTER TABLE workspace.cohort.stays EXECUTE add_files("
        f"location => '{elsewhere}', format => 'PARQUET')",
        "CREATE TABLE with a location in another bucket": "CREATE TABLE workspace.cohort.t1 "
        f"WITH (location = '{elsewhere}') AS SELECT 1 AS x",
        "CREATE TABLE with a location in a granted dataset": "CREATE TABLE workspace.cohort.t2 "
        f"WITH (location = '{in_dataset}') AS SELECT 1 AS x",
        "CREATE TABLE in a schema located in another bucket": "CREATE TABLE workspace.away.t3 "
        "AS SELECT 1 AS x",
        "CREATE TABLE with extra_properties write.data.path": "CREATE TABLE workspace.cohort.t4 "
        f"WITH (extra_properties = MAP(ARRAY['write.data.path'], ARRAY['{elsewhere}'])) "
        "AS SELECT 1 AS x",
    }
    for route, statement in routes.items():
        print(f"route tried: {route} -> {refused(running, 'alice', statement)[:150]}")
    assert query(running, "alice", "SHOW TABLES FROM workspace.away") == []
    assert query(running, "alice", "SHOW TABLES FROM workspace.cohort") == [["stays"]]


def _pods(cluster: Cluster, namespace: str, component: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/name=trino,app.kubernetes.io/component={component}"
    path = f"/api/v1/namespaces/{namespace}/pods"
    items: list[dict[str, Any]] = cluster.request("GET", path, query=[("labelSelector", selector)])[
        "items"
    ]
    return items


def test_rendered_pods_pass_restricted_pod_security_and_run_ready(
    running: RunningWorkspace,
) -> None:
    namespace = names.namespace(running.ws.name)
    # The controller-manager creates the pods (PodSecurity `restricted` would refuse them),
    # the node runs them, and their readiness probes pass.
    for component in ("coordinator", "worker"):
        (pod,) = _pods(running.cluster, namespace, component)
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert pod["status"]["phase"] == "Running" and ready["Ready"] == "True", pod["status"]
        assert pod["spec"]["containers"][0]["image"] == running.platform.image


def test_member_change_restarts_nothing_and_the_coordinator_rereads_its_groups(
    running: RunningWorkspace,
) -> None:
    namespace = names.namespace(running.ws.name)
    outsider = running.outsider
    members = (*running.ws.members, Member(user=outsider, role=Role.VIEWER))
    changed = render_trino(
        dataclasses.replace(running.ws, members=members),
        [running.dataset],
        running.platform,
    )
    (before_pod,) = _pods(running.cluster, namespace, "coordinator")
    assert DENIED in refused(running, outsider, "SELECT count(*) FROM system.runtime.nodes")
    live = {o["metadata"]["name"]: o for o in running.objects if o["kind"] == "Deployment"}
    group_file = ""
    for manifest in changed:
        if manifest["kind"] == "Deployment":
            old = live[manifest["metadata"]["name"]]["spec"]["template"]["metadata"]
            new = manifest["spec"]["template"]["metadata"]
            checksums = {m["annotations"][CHECKSUM_ANNOTATION] for m in (old, new)}
            assert len(checksums) == 1, manifest["metadata"]["name"]
        if manifest["metadata"]["name"] == "trino-access":
            group_file = manifest["data"]["group.txt"]
        running.cluster.apply(manifest)
    assert outsider in group_file
    # No new pod template: the controller-manager starts no second ReplicaSet.
    for component in ("coordinator", "worker"):
        assert len(_replica_sets(running.cluster, namespace, component)) == 1
    # The kubelet projects the new group file into the running coordinator, which re-reads
    # it (file.refresh-period): the new member gets in without a restart.
    wait_for(
        "the coordinator to read the new group file",
        lambda: _answers(running, outsider),
        timeout=180,
        interval=2,
    )
    (after_pod,) = _pods(running.cluster, namespace, "coordinator")
    assert after_pod["metadata"]["uid"] == before_pod["metadata"]["uid"]
    assert _restarts(after_pod) == _restarts(before_pod)


def _restarts(pod: dict[str, Any]) -> int:
    return sum(int(c.get("restartCount", 0)) for c in pod["status"]["containerStatuses"])


def _answers(running: RunningWorkspace, user: str) -> bool:
    try:
        query(running, user, "SELECT count(*) FROM system.runtime.nodes")
    except Exception:
        return False
    return True


def _replica_sets(cluster: Cluster, namespace: str, component: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/component={component}"
    path = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
    items: list[dict[str, Any]] = cluster.request("GET", path, query=[("labelSelector", selector)])[
        "items"
    ]
    return items


def test_worker_pre_stop_hook_starts_a_graceful_shutdown(running: RunningWorkspace) -> None:
    """Runs last: the worker drains and stops. The hook runs in the worker's own pod."""
    namespace = names.namespace(running.ws.name)
    (worker,) = _pods(running.cluster, namespace, "worker")
    name = worker["metadata"]["name"]
    deployment = next(o for o in running.objects if o["metadata"]["name"] == "trino-worker")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    command = list(container["lifecycle"]["preStop"]["exec"]["command"])
    state_url = f"https://localhost:{running.platform.port}/v1/info/state"

    def put_state(header: str) -> str:
        # -k: the worker's internally derived certificate, on the pod's loopback.
        return exec_in(
            running.kubeconfig, name, namespace, "curl", "-sk", "-o", "/dev/null", "-w",
            "%{http_code}", "-X", "PUT", "-H", "Content-Type:application/json",
            "-H", header, "-d", '"SHUTTING_DOWN"', state_url,
        )  # fmt: skip

    # No user header opens it, not even the user the hook once named.
    for user in ("alice", "havre-shutdown", "admin"):
        assert put_state(f"X-Trino-User:{user}") == "403", user
    forged = internal_bearer_token("guessed", "havre-shutdown")
    assert put_state(f"X-Trino-Internal-Bearer:{forged}") in ("401", "403")
    # The hook as rendered, in the worker's own pod (its header file is mounted there).
    exec_in(running.kubeconfig, name, namespace, *command)
    state = exec_in(running.kubeconfig, name, namespace, "curl", "-sk", state_url)
    assert state.strip() == '"SHUTTING_DOWN"'
