"""One workspace made by the operator whose Trino runs as pods, with a granted dataset.

Shared by the tests of the running query engine (queries, QueryEngine's availability,
revocation) and the network isolation matrix (its real coordinator pod), so the session
starts one Trino (two small JVMs) for all of them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.integration.datasets import Dataset, create_dataset, drop_dataset
from tests.integration.helpers import kubectl, wait_for
from tests.integration.trino_pods import START_TIMEOUT, remove_pods_now
from tests.integration.workspaces import WORKSPACE, apply, condition, dataset, grant, unique
from tests.integration.workspaces import workspace as workspace_manifest

#: The smallest Trino the API allows: a coordinator and a worker at half a CPU each.
SIZE = {"workers": 1, "cpu": "500m", "memory": "2Gi"}


@dataclass(frozen=True)
class EngineWorkspace:
    name: str
    namespace: str
    dataset: Dataset
    grant: str
    #: Seconds from applying the workspace until QueryEngine was True.
    start_seconds: float
    applied_at: float


def engine_ready(cluster: Any, name: str) -> dict[str, Any] | None:
    """The workspace once its QueryEngine is True for its generation, with its grants."""
    obj = cluster.get(WORKSPACE, name)
    engine = condition(obj, "QueryEngine")
    if obj is None or engine is None or engine["status"] != "True":
        return None
    if engine["observedGeneration"] != obj["metadata"]["generation"]:
        return None
    return dict(obj) if obj["status"].get("grants") else None


@contextlib.contextmanager
def engine_workspace(
    kubeconfig: str, cluster: Any, minio: dict[str, Any], postgres: dict[str, Any]
) -> Iterator[EngineWorkspace]:
    published = create_dataset(minio, postgres, rows=300, seed=7, prepared=True)
    name = unique("engine")
    namespace = f"ws-{name}"
    target = published.target
    applied_at = time.monotonic()
    try:
        apply(kubeconfig, dataset(published.name, target.bucket, target.prefix, target.namespace))
        apply(kubeconfig, workspace_manifest(name, size=SIZE))
        # A grant binds only to a workspace that existed when it was made: after it, never
        # before (core's UID binding).
        wait_for(f"workspace {name}", lambda: cluster.get(WORKSPACE, name), timeout=60)
        apply(kubeconfig, grant(f"{name}-snds", name, published.name))
        wait_for(
            f"workspace {name}'s Trino pods Available",
            lambda: engine_ready(cluster, name),
            timeout=START_TIMEOUT,
            interval=1,
        )
        yield EngineWorkspace(
            name=name,
            namespace=namespace,
            dataset=published,
            grant=f"{name}-snds",
            start_seconds=time.monotonic() - applied_at,
            applied_at=applied_at,
        )
    finally:
        remove_pods_now(kubeconfig, namespace)
        kubectl(kubeconfig, "delete", "workspace", name, "--wait=false")
        kubectl(kubeconfig, "delete", "datasetgrant", f"{name}-snds", "--ignore-not-found")
        kubectl(kubeconfig, "delete", "dataset", published.name, "--wait=false")
        drop_dataset(minio, postgres, published)
