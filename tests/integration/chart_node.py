"""The chart installed on a local control plane as an admin does it (helpers for the
install tests): values for the stack's node, the objects an admin creates first, the
release's operator pods, and a second control plane beside the stack's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import stack
from devstack.images import BuiltImage
from devstack.paths import StackPaths
from havre.kube.cluster import Cluster
from havre.kube.kinds import Kind
from havre.peering import PEERING
from tests.integration.chart import ChartTools
from tests.integration.helpers import kubectl
from tests.integration.rbac_usage import read_events

POD = Kind("v1", "Pod", "pods", True)
CRD = Kind(
    "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False
)
POLICY = Kind(
    "admissionregistration.k8s.io/v1",
    "ValidatingAdmissionPolicy",
    "validatingadmissionpolicies",
    False,
)
API_CRDS = ("workspaces", "datasets", "datasetgrants", "sizeprofiles")
#: Extra control planes of a stack use its port offset + 20, + 40, + 60 (GUIDE).
SECOND_PLANE_OFFSET = 20


def cidr_port(endpoint: str) -> dict[str, Any]:
    """``CIDR:PORT`` (stack.json's endpoints) as the chart's ``egress`` value."""
    cidr, _, port = endpoint.rpartition(":")
    return {"cidr": cidr, "port": int(port)}


def node_values(image: BuiltImage, node: dict[str, Any]) -> dict[str, Any]:
    """The values an admin writes for the stack's cluster: the local image, endpoints as
    pods reach them (the node's forwarded addresses), credentials and CAs by reference."""
    seen = node["platform"]
    return {
        "image": {
            "repository": image.spec.repository,
            "tag": image.spec.tag,
            "pullPolicy": "Never",  # imported into the node's containerd, no registry
        },
        # The session's kube fixture installed the API from crds/ already.
        "crds": {"create": False},
        "personas": {"create": False},
        "sizeProfiles": {"create": False},
        "admissionPolicies": {"create": False},
        "operator": {
            "replicas": 2,
            "repairInterval": 10,
            # Two replicas beside a workspace's Trino on the stack's two-core node.
            "resources": {
                "requests": {"cpu": "10m", "memory": "128Mi"},
                "limits": {"memory": "512Mi"},
            },
        },
        "objectStore": {
            "enabled": True,
            "url": seen["minio_url"],
            "credentialsSecret": {"name": "object-store-admin"},
            "caBundle": {"configMap": "platform-cas", "key": "object-store.pem"},
            "egress": cidr_port(seen["object_store"]),
        },
        "catalogDatabase": {
            "enabled": True,
            "host": seen["postgres_host"],
            "port": int(seen["postgres_port"]),
            "sslmode": "verify-full",
            "credentialsSecret": {"name": "catalog-database-admin"},
            "caBundle": {"configMap": "platform-cas", "key": "catalog-database.pem"},
            "egress": cidr_port(seen["catalog_database"]),
        },
    }


def admin_objects(
    kubeconfig: str, namespace: str, minio: dict[str, Any], postgres: dict[str, Any]
) -> None:
    """What an admin creates before installing: the namespace, the administrators'
    credentials, the CA bundles."""
    for argv in (
        ["create", "namespace", namespace],
        ["-n", namespace, "create", "secret", "generic", "object-store-admin",
         f"--from-literal=accessKey={minio['access_key']}",
         f"--from-literal=secretKey={minio['secret_key']}"],
        ["-n", namespace, "create", "secret", "generic", "catalog-database-admin",
         f"--from-literal=username={postgres['user']}",
         f"--from-literal=password={postgres['password']}"],
        ["-n", namespace, "create", "configmap", "platform-cas",
         f"--from-file=object-store.pem={minio['ca']}",
         f"--from-file=catalog-database.pem={postgres['ca']}"],
    ):  # fmt: skip
        result = kubectl(kubeconfig, *argv)
        assert result.returncode == 0, result.stderr


def operator_pods(cluster: Cluster, release: str, namespace: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/instance={release},app.kubernetes.io/component=operator"
    return cluster.list(POD, namespace, selector)


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return pod["metadata"].get("deletionTimestamp") is None and any(
        c["type"] == "Ready" and c["status"] == "True" for c in conditions
    )


def acting(cluster: Cluster, peering: str) -> str | None:
    """The replica that acts: the live peer of highest priority (POD_ID names it)."""
    peers = (cluster.get(PEERING, peering) or {}).get("status") or {}
    if not peers:
        return None
    return str(max(peers.items(), key=lambda item: item[1]["priority"])[0])


def _writer(event: dict[str, Any]) -> str:
    """The pod whose token made the request (a bound token names it), else its address."""
    extra = event["user"].get("extra", {})
    pod = extra.get("authentication.kubernetes.io/pod-name")
    return str(pod[0]) if pod else str(event["sourceIPs"][0])


def status_writers(audit_log: Path, start: int, account: str) -> list[str]:
    """The pod that made each Workspace status write of ``account`` in the API server's
    audit log from byte ``start`` on, in order."""
    with audit_log.open("rb") as log:
        log.seek(start)
        part = audit_log.with_name(f"audit-{account.rsplit(':', 2)[-2]}.jsonl")
        part.write_bytes(log.read())
    writes = sorted(
        (e["stageTimestamp"], _writer(e))
        for e in read_events(part, account)
        if e["verb"] == "patch"
        and e.get("objectRef", {}).get("resource") == "workspaces"
        and e.get("objectRef", {}).get("subresource") == "status"
    )
    return [writer for _, writer in writes]


def helm_managed(obj: dict[str, Any] | None) -> str | None:
    """The Helm release (namespace/name) an object belongs to, if any."""
    annotations = (obj or {}).get("metadata", {}).get("annotations") or {}
    name = annotations.get("meta.helm.sh/release-name")
    return f"{annotations.get('meta.helm.sh/release-namespace')}/{name}" if name else None


@dataclass(frozen=True)
class Install:
    """A release installed on the stack's node."""

    tools: ChartTools
    namespace: str
    image: BuiltImage
    values: Path
    audit_log: Path
    #: Byte offset of the audit log when the install started: earlier events are others'.
    audit_start: int

    def helm(self, kubeconfig: str, *args: str) -> str:
        """``helm ARGS`` in the release's namespace of the cluster of ``kubeconfig``."""
        result = self.tools.helm_cmd(*args, "-n", self.namespace, "--kubeconfig", kubeconfig)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


@dataclass(frozen=True)
class Plane:
    """A second local cluster: its stack.json entries."""

    kubeconfig: str
    cluster: Cluster
    node: dict[str, Any]
    minio: dict[str, Any]
    postgres: dict[str, Any]


@contextmanager
def second_cluster(stack_paths: StackPaths) -> Iterator[Plane]:
    """Another cluster of this machine: a control plane, a node, MinIO and PostgreSQL at the
    stack's port offset + 20 (pods of a node reach only its own stack's services), from an
    empty state under the stack's (which PostgreSQL's system user can enter); stopped and
    removed after."""
    state = stack_paths.state / "second-cluster"
    paths = StackPaths(state=state, port_offset=stack_paths.port_offset + SECOND_PLANE_OFFSET)
    stack.down(paths)  # an interrupted run's, if any
    shutil.rmtree(state, ignore_errors=True)
    # Its release renders no Trino (node_values): the node needs no Trino image, whose import
    # is most of a node's start and of its disk.
    images = os.environ.get("HAVRE_NODE_IMAGES")
    os.environ["HAVRE_NODE_IMAGES"] = "pause,coredns,base"
    try:
        stack.up(paths, ["kube", "minio", "postgres", "node"])
        _restore("HAVRE_NODE_IMAGES", images)
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        info = manifest["components"]
        kubeconfig = str(info["kube"]["kubeconfig"])
        cluster = Cluster.from_kubeconfig(kubeconfig)
        yield Plane(kubeconfig, cluster, info["node"], info["minio"], info["postgres"])
    finally:
        _restore("HAVRE_NODE_IMAGES", images)
        assert stack.down(paths) == []
        shutil.rmtree(state, ignore_errors=True)


def _restore(variable: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value
