"""A workspace's Trino as the node runs it from the operator's Deployments, reached through
a port-forward of its Service.

The Deployment rolls the coordinator by itself when its pod template changes (a new config
checksum), and the kubelet projects a changed access ConfigMap (the group file: a change of
members) into the running coordinator, which re-reads it. ``follow`` waits until the
Deployments are Available, and forwards anew after a roll (a forward ends with its pod).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from trino.auth import JWTAuthentication

from devstack.trino_client import execute, https_session
from havre.api import names
from havre.kube.cluster import Cluster
from tests.integration.identity import token
from tests.integration.pods import port_forward
from tests.integration.trino_pods import POD, wait_available

#: The coordinator Service's port (trino_workloads renders 8443).
TRINO_PORT = 8443


class FollowedTrino:
    """The coordinator (and workers) of one workspace, as pods, forwarded to localhost."""

    def __init__(self, cluster: Cluster, workspace: str, state: Path, kubeconfig: str) -> None:
        self.cluster = cluster
        self.workspace = workspace
        self.state = state
        self.kubeconfig = kubeconfig
        self.namespace = names.namespace(workspace)
        self._forward: contextlib.ExitStack | None = None
        self._port: int | None = None
        self._coordinator: str | None = None
        #: Coordinator pods seen serving (one per start: the first, then each roll).
        self.rolls = 0

    def _coordinator_pod(self) -> str | None:
        pods = self.cluster.list(POD, self.namespace, "app.kubernetes.io/component=coordinator")
        running = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        return running[0]["metadata"]["uid"] if len(running) == 1 else None

    def follow(self) -> bool:
        """Wait until the Trino Deployments are Available; forward to the coordinator again
        when it is a new pod (True), else keep the forward (False)."""
        wait_available(self.cluster, self.namespace)
        pod = self._coordinator_pod()
        if self._forward is not None and pod == self._coordinator:
            return False
        self.stop()
        stack = contextlib.ExitStack()
        self._port = stack.enter_context(
            port_forward(self.kubeconfig, self.namespace, "svc/trino", TRINO_PORT)
        )
        self._forward, self._coordinator = stack, pod
        self.rolls += 1
        return True

    @property
    def url(self) -> str:
        """Where a client reaches the coordinator (its certificate names localhost)."""
        assert self._port is not None, "follow() first"
        return f"https://localhost:{self._port}"

    def query(self, keycloak: dict[str, Any], user: str, statement: str) -> list[list[Any]]:
        """``statement`` with a fresh token of ``user`` for Trino."""
        assert self._port is not None, "follow() first"
        return execute(
            self._port,
            https_session(keycloak["ca"]),
            user,
            statement,
            JWTAuthentication(token(keycloak, user, "trino")),
        )

    def stop(self) -> None:
        if self._forward is not None:
            self._forward.close()
            self._forward, self._port = None, None
