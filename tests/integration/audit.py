"""Helpers for audit trail tests: queries whose ids are kept, the trail read back, Trino
started from what the operator rendered for a workspace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import trino
from trino.auth import JWTAuthentication

from devstack.paths import StackPaths
from devstack.trino_client import https_session, keycloak_token
from devstack.trino_local import LocalTrino, run_rendered_trino
from havre.audit.s3 import audit_client
from havre.audit.store import AuditStore
from havre.audit.trail import records_of
from havre.kube.kinds import by_name
from havre.settings import StorageSettings
from tests.integration.conftest import Kube
from tests.integration.helpers import free_port

KINDS = [by_name(k) for k in ("ConfigMap", "Secret", "Deployment", "Service")]


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
    local: LocalTrino,
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
        port=local.nodes[0].port,
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


def start_workspace_trino(kube: Kube, workspace: str, paths: StackPaths) -> LocalTrino:
    """The workspace's Trino, from exactly the objects the operator applied."""
    namespace = f"ws-{workspace}"
    objects = [
        item
        for kind in KINDS
        for item in kube.cluster.list(kind, namespace, "app.kubernetes.io/managed-by=havre")
    ]
    return run_rendered_trino(
        objects,
        name=f"trino-{workspace}",
        root=paths.state / "trino-rendered" / workspace,
        state=paths.state,
        ports=[free_port()],
        # A loaded machine (CI runs everything on 2 cores) can take minutes to start a JVM.
        timeout=600,
    )


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
