"""Helpers for audit trail tests: queries whose ids are kept, the trail read back, a
workspace's Trino as the node runs it (its pods, reached through a port-forward)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trino
from trino.auth import JWTAuthentication

from devstack.trino_client import https_session, keycloak_token
from havre.api import names
from havre.audit.s3 import audit_client
from havre.audit.store import AuditStore
from havre.audit.trail import records_of
from havre.settings import StorageSettings
from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl
from tests.integration.pods import port_forward
from tests.integration.trino_pods import remove_pods_now, wait_available


@dataclass(frozen=True)
class Sent:
    """One statement a person ran, and what the client saw."""

    workspace: str
    person: str
    statement: str
    query_id: str
    outcome: str  # finished, failed or denied, as the client saw it
    dataset: str | None = None
    legal_basis: str | None = None


def run_query(
    port: int,
    keycloak: dict[str, Any],
    passwords: dict[str, str],
    workspace: str,
    person: str,
    statement: str,
    dataset: str | None = None,
    legal_basis: str | None = None,
) -> Sent:
    """Run ``statement`` with ``person``'s Keycloak token; keep the query id Trino gave it."""
    token = keycloak_token(keycloak, person, passwords[person])
    conn = trino.dbapi.Connection(
        host="localhost",
        port=port,
        user=person,
        http_scheme="https",
        auth=JWTAuthentication(token),
        http_session=https_session(keycloak["ca"]),
    )
    cursor = conn.cursor()
    try:
        cursor.execute(statement)
        cursor.fetchall()
        outcome, query_id = "finished", cursor.query_id
    except trino.exceptions.TrinoQueryError as exc:
        outcome = "denied" if exc.error_name == "PERMISSION_DENIED" else "failed"
        query_id = exc.query_id
    finally:
        conn.close()  # type: ignore[no-untyped-call]
    assert query_id, f"no query id for {statement!r}"
    return Sent(workspace, person, statement, str(query_id), outcome, dataset, legal_basis)


@contextlib.contextmanager
def workspace_trino(kube: Kube, workspace: str, log: Path) -> Iterator[int]:
    """The workspace's Trino as the node runs it from the operator's Deployments, forwarded
    to a local port while the block runs; its coordinator's log is kept in ``log`` after."""
    namespace = names.namespace(workspace)
    try:
        wait_available(kube.cluster, namespace)
        with port_forward(kube.kubeconfig, namespace, "svc/trino", 8443) as port:
            yield port
    finally:
        logs = kubectl(
            kube.kubeconfig, "logs", "-n", namespace, "--tail=-1",
            "-l", "app.kubernetes.io/component=coordinator",
        )  # fmt: skip
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(logs.stdout + logs.stderr)


def delete_workspace_now(kube: Kube, workspace: str) -> None:
    """Delete the workspace and its pods at once: the node runs one test workspace's Trino
    at a time."""
    kubectl(kube.kubeconfig, "delete", "workspace", workspace, "--wait=false")
    remove_pods_now(kube.kubeconfig, names.namespace(workspace))


def trail_store(minio: dict[str, Any], bucket: str) -> AuditStore:
    """The audit bucket, read with the platform admin's credentials."""
    storage = StorageSettings(
        url=minio["url"],
        access_key=minio["access_key"],
        secret_key=minio["secret_key"],
        ca_file=minio["ca"],
    )
    return AuditStore(audit_client(storage), bucket, retention_days=1)


def trail(minio: dict[str, Any], bucket: str) -> Iterator[dict[str, Any]]:
    """Every record of the trail, as first written."""
    return records_of(trail_store(minio, bucket).batches())
