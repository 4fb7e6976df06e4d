"""End to end: the operator renders a workspace's Trino, Trino runs from exactly what the
API server holds, and a member's Keycloak token queries the workspace's own tables joined
with a granted dataset, until the grant is withdrawn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import trino
import yaml
from keycloak import KeycloakOpenID
from trino.auth import JWTAuthentication

from devstack.paths import StackPaths
from devstack.trino_local import LocalTrino, run_rendered_trino
from havre.kube.kinds import by_name
from tests.integration.conftest import Kube
from tests.integration.datasets import Dataset, create_dataset, drop_dataset
from tests.integration.helpers import OperatorProcess, free_port, kubectl, wait_for
from tests.integration.workspaces import apply, condition, unique, wait_ready, workspace

pytestmark = pytest.mark.integration
KINDS = [by_name(k) for k in ("ConfigMap", "Secret", "Deployment", "Service")]


def token(keycloak: dict[str, Any], user: str) -> str:
    openid = KeycloakOpenID(
        server_url=keycloak["url"],
        realm_name=keycloak["realm"],
        client_id=keycloak["trino_client_id"],
        verify=keycloak["ca"],
        timeout=10,
    )
    access: str = openid.token(user, keycloak["users"][user])["access_token"]
    return access


def query(local: LocalTrino, keycloak: dict[str, Any], user: str, sql: str) -> list[list[Any]]:
    session = requests.Session()
    session.verify = keycloak["ca"]
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace session.verify
    conn = trino.dbapi.Connection(
        host="localhost",
        port=local.nodes[0].port,
        user=user,
        http_scheme="https",
        auth=JWTAuthentication(token(keycloak, user)),
        http_session=session,
    )
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        rows: list[list[Any]] = cursor.fetchall()
        return rows
    finally:
        conn.close()  # type: ignore[no-untyped-call]


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
    dataset = {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": published.name},
        "spec": {
            "title": "SNDS synthetic sample",
            "bucket": target.bucket,
            "prefix": target.prefix,
            "icebergNamespace": target.namespace,
            "steward": "sam",
        },
    }
    grant = {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "DatasetGrant",
        "metadata": {"name": f"{ws}-snds"},
        "spec": {
            "workspace": ws,
            "dataset": published.name,
            "legalBasis": "MR-004",
            "expires": "2030-01-01T00:00:00Z",
        },
    }
    applied_at = time.monotonic()
    for manifest in (dataset, grant):
        done = kubectl(kube.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(manifest))
        assert done.returncode == 0, done.stderr
    apply(kube.kubeconfig, workspace(ws, size={"workers": 1, "cpu": "1", "memory": "2Gi"}))

    def engine_ready() -> dict[str, Any] | None:
        obj = wait_ready(kube.cluster, ws)
        engine = condition(obj, "QueryEngine")
        return obj if engine and engine["status"] == "True" and obj["status"]["grants"] else None

    obj = wait_for("the query engine with its grant", engine_ready, timeout=60)
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
