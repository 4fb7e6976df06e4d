"""End to end: the operator renders a workspace's Trino, Trino runs from exactly what the
API server holds, and a member's Keycloak token queries the workspace's own tables joined
with a granted dataset, until the grant is withdrawn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import trino
from trino.auth import JWTAuthentication

from devstack.paths import StackPaths
from devstack.trino_client import execute, https_session, keycloak_token
from devstack.trino_local import LocalTrino, run_rendered_trino
from havre.kube.kinds import by_name
from tests.integration.conftest import Kube
from tests.integration.datasets import Dataset, create_dataset, drop_dataset
from tests.integration.helpers import OperatorProcess, free_port, kubectl, wait_for
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    dataset,
    grant,
    unique,
    wait_ready,
    workspace,
)

pytestmark = pytest.mark.integration
KINDS = [by_name(k) for k in ("ConfigMap", "Secret", "Deployment", "Service")]


def query(local: LocalTrino, keycloak: dict[str, Any], user: str, sql: str) -> list[list[Any]]:
    token = keycloak_token(keycloak, user, keycloak["users"][user])
    session = https_session(keycloak["ca"])
    return execute(local.nodes[0].port, session, user, sql, JWTAuthentication(token))


@pytest.fixture(scope="module")
def published(minio: dict[str, Any], postgres: dict[str, Any]) -> Iterator[Dataset]:
    dataset = create_dataset(minio, postgres, rows=300, seed=7, prepared=True)
    yield dataset
    drop_dataset(minio, postgres, dataset)


def test_member_queries_workspace_tables_joined_with_a_granted_dataset(
    kube: Kube,
    operator: OperatorProcess,
    keycloak: dict[str, Any],
    published: Dataset,
    stack_paths: StackPaths,
) -> None:
    ws = unique("query")
    ns = f"ws-{ws}"
    target = published.target
    applied_at = time.monotonic()
    apply(kube.kubeconfig, dataset(published.name, target.bucket, target.prefix, target.namespace))
    apply(kube.kubeconfig, workspace(ws, size={"workers": 1, "cpu": "1", "memory": "2Gi"}))
    # A grant binds to a workspace older than itself (never to a later namesake): the
    # steward grants once the workspace exists.
    wait_for("the workspace seen", lambda: condition(kube.cluster.get(WORKSPACE, ws), "Valid"))
    apply(kube.kubeconfig, grant(f"{ws}-snds", ws, published.name))

    def engine_ready() -> dict[str, Any] | None:
        obj = wait_ready(kube.cluster, ws)
        engine = condition(obj, "QueryEngine")
        return obj if engine and engine["status"] == "True" and obj["status"]["grants"] else None

    obj = wait_for("the query engine with its grant", engine_ready, timeout=240)
    assert obj["status"]["endpoints"]["trino"] == f"https://trino.{ns}.svc:8443"
    objects = [
        item
        for kind in KINDS
        for item in kube.cluster.list(kind, ns, "app.kubernetes.io/managed-by=havre")
    ]
    local = run_rendered_trino(
        objects,
        name=f"trino-{ws}",
        root=stack_paths.state / "trino-rendered" / ws,
        state=stack_paths.state,
        ports=[free_port(), free_port()],
    )
    try:
        catalog = published.name.replace("-", "_")
        query(local, keycloak, "alice", "CREATE SCHEMA workspace.results")
        query(
            local,
            keycloak,
            "bob",
            "CREATE TABLE workspace.results.cohort AS "
            f"SELECT ben_nir_psa FROM {catalog}.snds.ir_ben_r WHERE ben_sex_cod = 2",
        )
        first_answer = time.monotonic() - applied_at
        (women,) = query(local, keycloak, "bob", "SELECT count(*) FROM workspace.results.cohort")[0]
        joined = query(
            local,
            keycloak,
            "alice",
            "SELECT count(*) FROM workspace.results.cohort c "
            f"JOIN {catalog}.snds.ir_ben_r b ON b.ben_nir_psa = c.ben_nir_psa",
        )
        assert joined == [[women]] and women > 0
        print(
            f"\napply → first answered query: {first_answer:.1f}s "
            f"(Trino start {local.start_seconds:.1f}s); cohort of {women} women"
        )

        deleted_at = time.monotonic()
        kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-snds", "--wait=false")

        def revoked() -> bool:
            try:
                query(local, keycloak, "bob", f"SELECT count(*) FROM {catalog}.snds.ir_ben_r")
            except trino.exceptions.TrinoQueryError:
                return True
            return False

        wait_for("the dataset to be unreadable from the running Trino", revoked, timeout=15)
        print(f"revocation seen by the running Trino after {time.monotonic() - deleted_at:.2f}s")
        assert query(local, keycloak, "bob", "SELECT count(*) FROM workspace.results.cohort")
    finally:
        local.stop()
        kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")
        kubectl(kube.kubeconfig, "delete", "dataset", published.name, "--wait=false")
