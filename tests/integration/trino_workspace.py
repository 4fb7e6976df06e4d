"""A test workspace whose Trino runs as pods from the objects the API server holds.

``rendered_workspace`` makes everything a workspace's Trino needs (catalog databases, bucket
and S3 user, a Keycloak user who is no member, Secrets), writes the rendered objects to the
real API server (no operator here), lets the node run the Deployments, and reaches the
coordinator through a port-forward.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from trino.auth import JWTAuthentication
from trino.exceptions import HttpError, TrinoQueryError

from devstack.paths import StackPaths
from devstack.trino_client import execute, https_session, keycloak_token
from havre.api import names
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name, kind_of
from havre.pipeline.render.namespace import render_namespace
from havre.pipeline.render.objectstore_policy import DatasetLocation
from havre.pipeline.render.rbac import render_service_accounts
from havre.pipeline.render.trino_access import GrantedCatalog
from havre.pipeline.render.trino_config import TrinoPlatform
from havre.pipeline.render.trino_workloads import render_trino
from havre.pipeline.validate import ValidWorkspace, validate_workspace
from tests.integration import trino_setup as setup
from tests.integration.conftest import Platform
from tests.integration.trino_pods import (
    PodTrino,
    forwarded,
    pod_platform,
    remove_pods_now,
    wait_available,
)

SPEC = {
    "title": "Rendered Trino test",
    "owner": "alice",
    "members": [{"user": "bob", "role": "analyst"}, {"user": "carol", "role": "viewer"}],
    # The smallest Trino nodes: two fit on the test node beside a few small pods.
    "size": {"workers": 1, "cpu": "500m", "memory": "2Gi"},
    "expires": "2099-01-01T00:00:00Z",
    "approval": {"decision": "Approved", "by": "havre-admin"},
}


@dataclass(frozen=True)
class RunningWorkspace:
    """A workspace whose rendered Trino runs as pods, and what the tests need to reach it."""

    ws: ValidWorkspace
    platform: TrinoPlatform
    dataset: GrantedCatalog
    other_bucket: str
    trino: PodTrino
    #: The objects as read back from the API server, from which the pods were started.
    objects: tuple[dict[str, Any], ...]
    cluster: Cluster
    kubeconfig: str
    keycloak: dict[str, Any]
    passwords: dict[str, str]

    @property
    def outsider(self) -> str:
        """A Keycloak user who is no member of the workspace."""
        return next(user for user in self.passwords if user.startswith("outsider-"))


@contextlib.contextmanager
def rendered_workspace(platform: Platform, paths: StackPaths) -> Iterator[RunningWorkspace]:
    """Set up, start, and on exit remove a workspace with one granted dataset."""
    kube, pg = platform("kube"), platform("postgres")
    minio, keycloak, node = platform("minio"), platform("keycloak"), platform("node")
    suffix = secrets.token_hex(3)
    name, outsider, role = f"tr{suffix}", f"outsider-{suffix}", names.database(f"tr{suffix}")
    dataset = GrantedCatalog.for_dataset(f"sample-{suffix}", f"ds-{suffix}", "snds/v1")
    ws = validate_workspace(name, SPEC, dt.datetime.now(dt.UTC))
    cluster = Cluster.from_kubeconfig(kube["kubeconfig"])
    with contextlib.ExitStack() as cleanup:
        db_password = setup.create_role(pg, role)
        cleanup.callback(setup.drop_databases_and_roles, pg, [role, dataset.database], [role])
        setup.create_catalog_database(pg, role, role)
        setup.create_catalog_database(pg, dataset.database, pg["user"])
        setup.grant_catalog_read(pg, dataset.database, role)
        buckets = (names.bucket(name), dataset.bucket, names.bucket(f"other{suffix}"))
        cleanup.callback(setup.remove_storage, minio, name, buckets)
        location = DatasetLocation(dataset.bucket, dataset.prefix)
        s3_keys = setup.create_storage(minio, name, buckets, [location])
        outsider_password = setup.create_keycloak_user(keycloak, outsider)
        cleanup.callback(setup.delete_keycloak_user, keycloak, outsider)
        settings = pod_platform(node, keycloak, Path(keycloak["ca"]).read_text())
        written = [
            render_namespace(ws),
            *render_service_accounts(ws),
            *setup.workspace_secrets(paths.state, name, s3_keys, (role, db_password)),
            *render_trino(ws, [dataset], settings),
        ]
        namespace = names.namespace(name)
        cleanup.callback(cluster.delete, by_name("Namespace"), namespace)
        cleanup.callback(remove_pods_now, kube["kubeconfig"], namespace)
        for manifest in written:
            cluster.apply(manifest)
        # What runs is what the API server holds, not what this test rendered.
        read_back = []
        for manifest in written[1:]:
            live = cluster.get(
                kind_of(manifest), manifest["metadata"]["name"], names.namespace(name)
            )
            assert live is not None, manifest["metadata"]["name"]
            read_back.append(live)
        waited = wait_available(cluster, namespace)
        trino = cleanup.enter_context(forwarded(kube["kubeconfig"], namespace, waited))
        yield RunningWorkspace(
            ws=ws,
            platform=settings,
            dataset=dataset,
            other_bucket=buckets[2],
            trino=trino,
            objects=tuple(read_back),
            cluster=cluster,
            kubeconfig=kube["kubeconfig"],
            keycloak=keycloak,
            passwords={**keycloak["users"], outsider: outsider_password},
        )


def token(run: RunningWorkspace, user: str) -> str:
    """An access token of ``user`` for Trino (password grant, client ``trino``)."""
    return keycloak_token(run.keycloak, user, run.passwords[user])


def query(
    run: RunningWorkspace, user: str, statement: str, session_user: str | None = None
) -> list[list[Any]]:
    """Run ``statement`` over HTTPS with ``user``'s token, as ``session_user`` (default: the
    same user), verifying the coordinator's certificate against the stack CA."""
    return execute(
        run.trino.port,
        https_session(run.keycloak["ca"]),
        session_user or user,
        statement,
        JWTAuthentication(token(run, user)),
    )


def refused(run: RunningWorkspace, user: str, statement: str) -> str:
    """The error Trino answers ``statement`` with; fails the test if it succeeds."""
    with pytest.raises((TrinoQueryError, HttpError)) as failure:
        query(run, user, statement)
    return str(failure.value)
