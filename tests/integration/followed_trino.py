"""A workspace's Trino run from what the API server holds, rolled when its coordinator's pod
template changes — what the Deployment does by itself once Trino runs as pods.

Until the node joins the devstack, ``devstack.trino_local`` runs the rendered Deployments as
local processes; ``follow`` restarts them from the new objects when the coordinator's config
checksum changes, as the roll would, and otherwise writes the access ConfigMap's files
(the group file: a change of members) where the running coordinator reads them, as the
kubelet would. Switching to
pods: make ``follow`` wait for the Deployment's rollout and ``port`` the Service's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trino.auth import JWTAuthentication

from devstack.trino_client import execute, https_session
from devstack.trino_local import LocalTrino, run_rendered_trino
from havre.api import names
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.render.trino_workloads import CHECKSUM_ANNOTATION
from tests.integration.helpers import free_port
from tests.integration.identity import token

ACCESS = "trino-access"  # the ConfigMap holding group.txt and the access rules
KINDS = [by_name(k) for k in ("ConfigMap", "Secret", "Deployment", "Service")]


class FollowedTrino:
    """The coordinator (and workers) of one workspace, following its rendered objects."""

    def __init__(self, cluster: Cluster, workspace: str, state: Path) -> None:
        self.cluster = cluster
        self.workspace = workspace
        self.state = state
        self.local: LocalTrino | None = None
        self.checksum: str | None = None
        self.rolls = 0

    def _objects(self) -> tuple[list[dict[str, Any]], str | None]:
        ns = names.namespace(self.workspace)
        objects = [
            item
            for kind in KINDS
            for item in self.cluster.list(kind, ns, "app.kubernetes.io/managed-by=havre")
        ]
        coordinator = next(
            (
                o
                for o in objects
                if o["kind"] == "Deployment" and o["metadata"]["name"] == "trino-coordinator"
            ),
            None,
        )
        if coordinator is None:
            return objects, None
        annotations = coordinator["spec"]["template"]["metadata"].get("annotations", {})
        return objects, annotations.get(CHECKSUM_ANNOTATION)

    def _project(self, objects: list[dict[str, Any]]) -> None:
        """Write the access ConfigMap's files where the running coordinator reads them, as
        the kubelet updates a mounted ConfigMap (Trino re-reads its group file by itself)."""
        access = next(
            (o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == ACCESS),
            None,
        )
        if access is None or self.local is None:
            return
        for key, text in (access.get("data") or {}).items():
            for path in self.local.nodes[0].root.rglob(key):
                if path.read_text() != text:
                    path.write_text(text)

    def follow(self) -> bool:
        """Start, or restart when the coordinator's configuration changed (True), else
        bring the running coordinator the access files as they are now."""
        objects, checksum = self._objects()
        if checksum is None or (self.local is not None and checksum == self.checksum):
            self._project(objects)
            return False
        self.stop()
        workers = [o for o in objects if o["metadata"]["name"] == "trino-worker"]
        count = 1 + sum(int(o["spec"].get("replicas", 0)) for o in workers)
        self.local = run_rendered_trino(
            objects,
            name=f"trino-{self.workspace}",
            root=self.state / "trino-rendered" / self.workspace,
            state=self.state,
            ports=[free_port() for _ in range(count)],
            timeout=600,  # a JVM's start on a loaded 2-core machine
        )
        self.checksum = checksum
        self.rolls += 1
        return True

    @property
    def url(self) -> str:
        """Where a client reaches the coordinator (its certificate names localhost)."""
        assert self.local is not None, "follow() first"
        return f"https://localhost:{self.local.nodes[0].port}"

    def query(self, keycloak: dict[str, Any], user: str, statement: str) -> list[list[Any]]:
        """``statement`` with a fresh token of ``user`` for Trino."""
        assert self.local is not None, "follow() first"
        return execute(
            self.local.nodes[0].port,
            https_session(keycloak["ca"]),
            user,
            statement,
            JWTAuthentication(token(keycloak, user, "trino")),
        )

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()
            self.local = None
