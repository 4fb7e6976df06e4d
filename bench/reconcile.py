"""How fast a workspace is provisioned, and what an idle reconcile costs.

    python -m bench.reconcile [--runs 15]

Starts its own stack (kube and minio, in /tmp/havre-bench-stack, port offset 2500), then:
- create → Ready: the operator running, one Workspace applied at a time, time until the
  API server shows Ready=True for its generation (in-cluster objects and storage);
- one reconcile in process (the operator's own code, real API server and MinIO), first
  for a new workspace, then again with nothing to change (the repair timer's cost).
Prints medians with the spread (min-max) as a Markdown table. The machine is shared and
noisy: compare medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.platform import stop_platform
from devstack import stack
from devstack.paths import StackPaths
from havre.external.minio import MinioStore
from havre.kube.cluster import Cluster
from havre.pipeline.reconcile import Platform, reconcile_workspace
from havre.pipeline.records import StaticCatalogue
from havre.settings import load_settings
from tests.integration.helpers import OperatorProcess, kubectl
from tests.integration.workspaces import WORKSPACE, apply, delete, wait_ready, workspace

#: What this benchmark's platform runs (and all it stops).
COMPONENTS = ["kube", "minio"]


def _row(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"| {name} | {statistics.median(ms):.0f} ms | {min(ms):.0f}-{max(ms):.0f} ms | {len(ms)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    state = Path(tempfile.gettempdir()) / "havre-bench-stack"
    state.mkdir(mode=0o755, exist_ok=True)
    paths = StackPaths(state=state, port_offset=2500)
    stack.up(paths, COMPONENTS)
    try:
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        kube, minio = manifest["components"]["kube"], manifest["components"]["minio"]
        kubeconfig = kube["kubeconfig"]
        root = Path(__file__).parents[1]
        kubectl(kubeconfig, "apply", "--server-side", "-f", str(root / "crds"))
        env = {
            "HAVRE_STORAGE_URL": minio["url"],
            "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
            "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        }
        cluster = Cluster.from_kubeconfig(kubeconfig)
        operator = OperatorProcess(kubeconfig, state / "logs" / "bench-operator.log", env)
        operator.start()
        ready: list[float] = []
        try:
            for _ in range(args.runs):
                name = f"bench-{uuid.uuid4().hex[:6]}"
                started = time.perf_counter()
                apply(kubeconfig, workspace(name))
                wait_ready(cluster, name, timeout=60)
                ready.append(time.perf_counter() - started)
                delete(kubeconfig, name)
        finally:
            operator.stop()

        settings = load_settings(env)
        store = MinioStore(
            minio["endpoint"], minio["access_key"], minio["secret_key"], ca_file=minio["ca"]
        )
        platform = Platform(cluster=cluster, settings=settings, store=store)
        catalogue = StaticCatalogue()  # no grants: the reconcile's own cost only
        first: list[float] = []
        idle: list[float] = []
        for _ in range(args.runs):
            name = f"bench-{uuid.uuid4().hex[:6]}"
            apply(kubeconfig, workspace(name))
            obj = cluster.get(WORKSPACE, name)
            assert obj is not None
            started = time.perf_counter()
            reconcile_workspace(platform, obj, catalogue, dt.datetime.now(dt.UTC))
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            outcome = reconcile_workspace(platform, obj, catalogue, dt.datetime.now(dt.UTC))
            idle.append(time.perf_counter() - started)
            assert outcome.applied.report is not None and not outcome.applied.report.applied
            delete(kubeconfig, name)
    finally:
        stop_platform(paths, COMPONENTS)
    print("| measure | median | min-max | runs |")
    print("|---|---|---|---|")
    print(_row("kubectl apply → Ready=True (operator running, namespace + storage)", ready))
    print(_row("first reconcile, in process (writes ~17 objects, bucket, policy, user)", first))
    print(_row("idle reconcile, in process (reads only, writes nothing)", idle))
    print(f"\nratio first/idle: {statistics.median(first) / statistics.median(idle):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
