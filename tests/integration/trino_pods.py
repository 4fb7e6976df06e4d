"""A workspace's Trino running as pods on the stack's node, and how tests reach it.

Tests reach the coordinator as a client would from outside the cluster: through a
port-forward on 127.0.0.1 (API server, then kubelet), with the workspace certificate,
which also names ``localhost``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from havre.kube.cluster import Cluster
from havre.kube.kinds import Kind, by_name
from havre.pipeline.engine_availability import (
    ENGINE_DEPLOYMENTS,
    DeploymentState,
    query_engine_check,
)
from havre.pipeline.render.trino_config import TrinoPlatform
from tests.integration.helpers import kubectl, wait_for
from tests.integration.pods import port_forward

DEPLOYMENT = by_name("Deployment")
#: Pods are no kind the operator manages (``by_name``): the tests only read them.
POD = Kind("v1", "Pod", "pods", True)
#: Trino's JVMs start slowly on a busy two-core machine.
START_TIMEOUT = 600.0


@dataclass(frozen=True)
class PodTrino:
    """A running coordinator, forwarded to ``localhost:port``."""

    port: int
    #: Seconds from applying the Deployments until both were Available.
    start_seconds: float

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"


def pod_platform(
    node: dict[str, Any], keycloak: dict[str, Any], ca_bundle: str | None
) -> TrinoPlatform:
    """The platform as pods see it: MinIO, PostgreSQL and Keycloak at the node's link."""
    seen = node["platform"]
    return TrinoPlatform(
        object_store_url=seen["minio_url"],
        catalog_db_host=seen["postgres_host"],
        catalog_db_port=seen["postgres_port"],
        identity_issuer=keycloak["issuer"],
        identity_jwks_url=seen["keycloak_url"] + urlsplit(keycloak["jwks_uri"]).path,
        ca_bundle=ca_bundle,
        image=node["images"]["trino"],
    )


def wait_available(cluster: Cluster, namespace: str, timeout: float = START_TIMEOUT) -> float:
    """Wait until the coordinator and worker Deployments are Available (as QueryEngine
    reads them); return the seconds waited."""
    started = time.monotonic()

    def available() -> bool:
        states = [
            DeploymentState.from_object(name, cluster.get(DEPLOYMENT, name, namespace))
            for name in ENGINE_DEPLOYMENTS
        ]
        return query_engine_check(states).ok

    try:
        wait_for(f"Trino in {namespace} Available", available, timeout, interval=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; pods: {pod_states(cluster, namespace)}") from None
    return time.monotonic() - started


def pod_states(cluster: Cluster, namespace: str) -> list[str]:
    """Each pod's phase and what keeps it from being ready (the scheduler's message when it
    does not fit: on a shared stack, another workspace's Trino may hold the node)."""
    out = []
    for pod in cluster.list(POD, namespace):
        status = pod.get("status", {})
        waiting = [
            f"{c['type']}={c['status']} {c.get('reason', '')} {c.get('message', '')}".strip()
            for c in status.get("conditions", [])
            if c.get("status") != "True"
        ]
        restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses", []))
        name = pod["metadata"]["name"]
        out.append(f"{name} {status.get('phase')} restarts={restarts} {'; '.join(waiting)}")
    return out


@contextlib.contextmanager
def forwarded(kubeconfig: str, namespace: str, start_seconds: float) -> Iterator[PodTrino]:
    """The coordinator's Service forwarded to localhost, while the block runs."""
    with port_forward(kubeconfig, namespace, "svc/trino", 8443) as port:
        yield PodTrino(port=port, start_seconds=start_seconds)


def remove_pods_now(kubeconfig: str, namespace: str) -> None:
    """Free the node at once (a worker drains for minutes when stopped politely)."""
    kubectl(
        kubeconfig, "delete", "pods", "--all", "-n", namespace, "--grace-period=0", "--force",
        "--wait=false",
    )  # fmt: skip
