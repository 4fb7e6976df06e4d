"""The local Prometheus' ``havre-trino`` targets: each workspace's Trino coordinator pod.

Debian's Prometheus 2.42 has no Kubernetes service discovery, so this lists the coordinator
pods of the workspace namespaces and writes them as one file_sd file; Prometheus re-reads
it within a second. The machine reaches pod addresses through the node's link
(``node_network.py``), and each workspace's NetworkPolicy admits that address
(``HAVRE_METRICS_TRINO_SCRAPER_CIDR``, set by ``havre_setup.operator_environment``).

    python -m devstack.trino_targets            # once
    python -m devstack.trino_targets --every 5  # keep it current until stopped

In a cluster, the chart's PodMonitor does the same with the Prometheus Operator.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from devstack import stack
from devstack.paths import StackPaths

#: Where the coordinator serves HTTPS (the operator renders Trino on 8443).
TRINO_PORT = 8443
TARGETS_FILE = "coordinators.json"
_NAMESPACE_PREFIX = "ws-"
COORDINATOR_SELECTOR = "app.kubernetes.io/name=trino,app.kubernetes.io/component=coordinator"


def coordinator_targets(
    pods: Iterable[dict[str, Any]], port: int = TRINO_PORT
) -> list[dict[str, Any]]:
    """file_sd groups, one per running coordinator pod of a workspace namespace, carrying
    its namespace only (Prometheus relabels it to ``workspace``)."""
    groups: list[dict[str, Any]] = []
    for pod in pods:
        meta, status = pod["metadata"], pod.get("status", {})
        namespace = meta.get("namespace", "")
        ip = status.get("podIP")
        if meta.get("deletionTimestamp") or status.get("phase") != "Running" or not ip:
            continue
        if not namespace.startswith(_NAMESPACE_PREFIX):
            continue
        groups.append(
            {"targets": [f"{ip}:{port}"], "labels": {"__meta_havre_namespace": namespace}}
        )
    return sorted(groups, key=lambda g: (g["labels"]["__meta_havre_namespace"], g["targets"]))


def write_targets(targets_dir: Path, groups: list[dict[str, Any]]) -> Path:
    """Replace the targets file atomically (Prometheus never reads half a file)."""
    targets_dir.mkdir(parents=True, exist_ok=True)
    path = targets_dir / TARGETS_FILE
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps(groups, indent=1) + "\n")
    scratch.replace(path)
    return path


def sync(kubeconfig: str, targets_dir: Path) -> list[dict[str, Any]]:
    """List the coordinator pods of every namespace and write them as targets."""
    from havre.kube.cluster import Cluster  # the operator's client: only when syncing

    cluster = Cluster.from_kubeconfig(kubeconfig)
    query = [("labelSelector", COORDINATOR_SELECTOR)]
    # Pods of every namespace: the cluster-wide collection.
    pods = cluster.request("GET", "/api/v1/pods", query=query).get("items", [])
    groups = coordinator_targets(pods)
    write_targets(targets_dir, groups)
    return groups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.trino_targets")
    parser.add_argument("--every", type=float, default=0, help="seconds between two syncs")
    args = parser.parse_args(argv)
    paths = StackPaths.from_env()
    manifest = stack.read_manifest(paths) or {}
    components = manifest.get("components", {})
    if "kube" not in components or "prometheus" not in components:
        print("the stack's kube and prometheus must run")
        return 1
    kubeconfig = str(components["kube"]["kubeconfig"])
    targets_dir = Path(components["prometheus"]["trino_targets_dir"])
    while True:
        groups = sync(kubeconfig, targets_dir)
        print(f"{len(groups)} Trino coordinators in {targets_dir / TARGETS_FILE}", flush=True)
        if args.every <= 0:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
