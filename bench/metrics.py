"""The operator's memory and CPU at 100 workspaces, with metrics on and off.

    python -m bench.metrics [--workspaces 100] [--runs 3] [--window 60]

Starts its own stack (kube, MinIO, PostgreSQL in /tmp/havre-bench-metrics, port offset
2460), installs the API, and has a first operator provision ``--workspaces`` workspaces
(namespace, quota, policies, roles, bucket, policy, user, catalog database) until each is
Ready. Then, per run and per mode (metrics on, metrics off), it starts a fresh operator,
waits until it has resumed every workspace, and measures during ``--window`` seconds of
steady state (the repair timer at its default of 60 s reconciles every workspace once a
minute; with metrics on, ``/metrics`` is scraped every 15 s as Prometheus would): resident
memory at the end (VmRSS), CPU used (utime+stime) per second, and with metrics on the size
and duration of one scrape. Prints medians with their spread as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

from bench.platform import stop_platform
from devstack import stack
from devstack.havre_setup import install_api
from devstack.paths import StackPaths
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import condition, workspace

TICKS = os.sysconf("SC_CLK_TCK")
SCRAPE_EVERY = 15.0

#: What this benchmark's platform runs (and all it stops).
COMPONENTS = ["kube", "minio", "postgres"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _env(components: dict[str, Any]) -> dict[str, str]:
    minio, pg = components["minio"], components["postgres"]
    return {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_CATALOG_HOST": pg["host"],
        "HAVRE_CATALOG_PORT": str(pg["port"]),
        "HAVRE_CATALOG_USER": pg["user"],
        "HAVRE_CATALOG_PASSWORD": pg["password"],
        "HAVRE_REPAIR_INTERVAL": "60",
        "HAVRE_METRICS_USAGE_INTERVAL": "60",
    }


def _all_ready(kubeconfig: str, count: int) -> bool:
    listed = kubectl(kubeconfig, "get", "workspaces", "-o", "json")
    items = json.loads(listed.stdout)["items"] if listed.returncode == 0 else []
    ready = [i for i in items if (condition(i) or {}).get("status") == "True"]
    return len(ready) >= count


def _scrape(port: int) -> tuple[int, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        size = len(resp.read())
    return size, time.perf_counter() - started


def _measure(op: OperatorProcess, metrics: bool, window: float, count: int) -> dict[str, float]:
    assert op.proc is not None
    pid = op.proc.pid
    # a fresh operator resumes every workspace first: let it finish before measuring
    settle = time.monotonic() + 45
    while time.monotonic() < settle:
        time.sleep(1)
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    sizes, durations = [], []
    while time.monotonic() - t0 < window:
        if metrics:
            size, took = _scrape(op.metrics_port)
            sizes.append(size)
            durations.append(took)
        time.sleep(SCRAPE_EVERY)
    result = {
        "cpu": (_cpu_seconds(pid) - cpu0) / (time.monotonic() - t0),
        "rss": _rss_mib(pid),
    }
    if metrics:
        result["scrape_kib"] = statistics.median(sizes) / 1024
        result["scrape_ms"] = statistics.median(durations) * 1000
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    state = Path(tempfile.gettempdir()) / "havre-bench-metrics"
    state.mkdir(mode=0o755, exist_ok=True)
    paths = StackPaths(state=state, port_offset=2460)
    stack.up(paths, COMPONENTS)
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    try:
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        components = manifest["components"]
        kubeconfig = components["kube"]["kubeconfig"]
        install_api(kubeconfig, state)
        env = _env(components)
        first = OperatorProcess(kubeconfig, state / "logs" / "bench-operator.log", env)
        first.start()
        try:
            run = uuid.uuid4().hex[:4]
            for i in range(args.workspaces):
                obj = workspace(f"bench-{run}-{i:03d}")
                kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(obj))
            wait_for(
                f"{args.workspaces} workspaces Ready",
                lambda: _all_ready(kubeconfig, args.workspaces),
                timeout=60 + 6 * args.workspaces,
                interval=5,
            )
        finally:
            first.stop()
        for _ in range(args.runs):
            for metrics in (True, False):
                log = state / "logs" / f"bench-operator-{metrics}.log"
                op = OperatorProcess(
                    kubeconfig, log, {**env, "HAVRE_METRICS_ENABLED": str(metrics).lower()}
                )
                op.start()
                try:
                    results[metrics].append(_measure(op, metrics, args.window, args.workspaces))
                finally:
                    op.stop()
                print(f"metrics={metrics}: {results[metrics][-1]}", flush=True)
    finally:
        stop_platform(paths, COMPONENTS)
    print(
        f"\n{args.workspaces} workspaces, {args.runs} runs per mode, {args.window:.0f} s windows\n"
    )
    print("| measure | metrics on | metrics off |")
    print("|---|---|---|")
    for key, label, fmt in (
        ("rss", "resident memory (MiB)", "{:.0f}"),
        ("cpu", "CPU (cores, steady)", "{:.3f}"),
    ):
        cells = []
        for metrics in (True, False):
            values = [r[key] for r in results[metrics]]
            cells.append(
                f"{fmt.format(statistics.median(values))} "
                f"({fmt.format(min(values))}-{fmt.format(max(values))})"
            )
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    for key, label in (
        ("scrape_kib", "one /metrics scrape (KiB)"),
        ("scrape_ms", "one scrape (ms)"),
    ):
        values = [r[key] for r in results[True]]
        spread = f"{min(values):.1f}-{max(values):.1f}"
        print(f"| {label} | {statistics.median(values):.1f} ({spread}) | - |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
