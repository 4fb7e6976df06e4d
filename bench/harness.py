"""The measurements of ``make bench``, as functions of a running control plane and operator.

Each returns plain data (seconds, counts) for ``bench/__main__.py`` to write as JSON; the
smoke test (tests/integration/test_idle_cost.py) runs each once at a tiny size. Latencies
are seen from outside, as a user would: from ``kubectl apply`` (or the grant's end) to the
API server showing Ready (or MinIO refusing the read).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from havre.kube.cluster import Cluster
from tests.integration.apiserver_metrics import Window, scrape
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.storage import denied, put, read, root_client, workspace_client
from tests.integration.workspaces import WORKSPACE, dataset, grant, unique, workspace

TICKS = os.sysconf("SC_CLK_TCK")
DATASETS_BUCKET = "bench-datasets"
KEY = "ER_PRS_F/part-0.csv"
#: What the benchmark creates goes with its workspace (bucket, catalog database).
DELETE = "Delete"


@dataclass(frozen=True)
class Target:
    kubeconfig: str
    cluster: Cluster
    operator: OperatorProcess
    minio: dict[str, Any]
    repair_interval: float


def percentiles(samples: list[float]) -> dict[str, float]:
    """Median, 95th percentile (nearest rank), min, max and count, in seconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
    return {
        "p50": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def _ready(obj: dict[str, Any] | None) -> bool:
    """Everything the operator provisions is in place for the current generation: every
    condition True but ``Ready`` and ``QueryEngine``, and no ``Degraded``. Without Trino
    that is ``Ready``; with Trino rendered, ``QueryEngine`` waits for Trino's pods to run,
    which these platforms (no node) never do and the targets exclude."""
    if obj is None:
        return False
    status = obj.get("status") or {}
    if status.get("observedGeneration") != obj["metadata"]["generation"]:
        return False
    conditions = {c["type"]: c for c in status.get("conditions", [])}
    others = [c for t, c in conditions.items() if t not in ("Ready", "QueryEngine", "Degraded")]
    degraded = conditions.get("Degraded")
    return (
        bool(others)
        and all(c["status"] == "True" for c in others)
        and (degraded is None or degraded["status"] == "False")
    )


def _apply(kubeconfig: str, objs: list[dict[str, Any]]) -> None:
    for start in range(0, len(objs), 100):  # one kubectl per hundred objects
        chunk = objs[start : start + 100]
        result = kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(chunk))
        assert result.returncode == 0, result.stderr


def _ready_names(cluster: Cluster) -> set[str]:
    return {i["metadata"]["name"] for i in cluster.list(WORKSPACE) if _ready(i)}


def one_at_a_time(target: Target, runs: int, kubectl_s: list[float] | None = None) -> list[float]:
    """apply → Ready of one workspace while nothing else happens, ``runs`` times (polled
    every 20 ms). ``kubectl_s`` receives how long each ``kubectl apply`` itself took (its
    start, discovery and the create), which the latency includes."""
    samples = []
    for _ in range(runs):
        name = unique("b1")
        started = time.perf_counter()
        _apply(target.kubeconfig, [workspace(name, deletionPolicy=DELETE)])
        if kubectl_s is not None:
            kubectl_s.append(time.perf_counter() - started)
        while not _ready(target.cluster.get(WORKSPACE, name)):
            if time.perf_counter() - started > 120:
                raise AssertionError(f"{name} not Ready after 120 s")
            time.sleep(0.02)
        samples.append(time.perf_counter() - started)
    return samples


def at_once(target: Target, count: int, poll: float = 0.2) -> list[float]:
    """apply → Ready of each of ``count`` workspaces applied together (polled every
    ``poll`` s, one LIST)."""
    wanted = {unique(f"b{count}") for _ in range(count)}
    started = time.perf_counter()
    _apply(target.kubeconfig, [workspace(n, deletionPolicy=DELETE) for n in sorted(wanted)])
    seen: dict[str, float] = {}
    while len(seen) < count:
        if time.perf_counter() - started > 60 + 6 * count:
            raise AssertionError(f"only {len(seen)} of {count} Ready")
        now = time.perf_counter() - started
        for name in (_ready_names(target.cluster) & wanted) - set(seen):
            seen[name] = now
        time.sleep(poll)
    return sorted(seen.values())


def operator_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def operator_memory(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmHWM), MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return {"rss_mib": found["VmRSS"], "peak_rss_mib": found["VmHWM"]}


def external_calls(operator: OperatorProcess) -> Counter[str]:
    """The operator's own count of its calls, by system (``havre_external_requests_total``)."""
    url = f"http://127.0.0.1:{operator.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    calls: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name == "havre_external_requests":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    calls[sample.labels["system"]] += int(sample.value)
    return calls


def settled(target: Target) -> Window | None:
    """Two repair intervals without a write to the API server, or None."""
    before = scrape(target.kubeconfig)
    time.sleep(2 * target.repair_interval)
    window = Window.between(before, scrape(target.kubeconfig))
    return window if window.writes == 0 else None


def idle(target: Target, count: int, window: float) -> dict[str, Any]:
    """Requests to the API server and external calls during ``window`` seconds once quiet."""
    assert target.operator.proc is not None
    pid = target.operator.proc.pid
    try:
        wait_for("a quiet API server", lambda: settled(target), timeout=600, interval=0)
        quiet = True
    except AssertionError:
        # Still measured (and marked): e.g. Deployments reaching their progress deadline
        # 10 minutes after creation, which the operator then reports.
        quiet = False
    before, calls0 = scrape(target.kubeconfig), external_calls(target.operator)
    cpu0, started = operator_cpu(pid), time.monotonic()
    time.sleep(window)
    seen = Window.between(before, scrape(target.kubeconfig))
    minutes = (time.monotonic() - started) / 60
    calls = external_calls(target.operator) - calls0
    return {
        "quiet_before": quiet,
        "window_s": minutes * 60,
        "reads_per_min": seen.reads / minutes,
        "writes_per_min": seen.writes / minutes,
        "reads_per_workspace_per_min": seen.reads / minutes / count,
        "external_calls_per_min": {k: v / minutes for k, v in calls.items()},
        "operator_cpu_s_per_min": (operator_cpu(pid) - cpu0) / minutes,
        "requests": seen.of(frozenset({"GET", "LIST", "WATCH", *_WRITES})),
    }


_WRITES = ("POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY")


def scale(
    target: Target, count: int, idle_window: float, timeout: float | None = None
) -> dict[str, Any]:
    """``count`` workspaces applied at once: time until all are Ready (with the curve of
    how many were Ready when), what it cost, then what an idle period costs. Past
    ``timeout`` the figures so far are returned, marked incomplete, with no idle period."""
    assert target.operator.proc is not None
    pid = target.operator.proc.pid
    run = unique("s")
    wanted = {f"{run}-{i:04d}" for i in range(count)}
    before, calls0 = scrape(target.kubeconfig), external_calls(target.operator)
    cpu0, started = operator_cpu(pid), time.perf_counter()
    _apply(target.kubeconfig, [workspace(n, deletionPolicy=DELETE) for n in sorted(wanted)])
    curve: list[tuple[float, int]] = []
    deadline = started + (timeout if timeout is not None else 600 + 10 * count)
    while True:
        ready = len(wanted & _ready_names(target.cluster))
        elapsed = time.perf_counter() - started
        if not curve or curve[-1][1] != ready:
            curve.append((round(elapsed, 1), ready))
        if ready == count or time.perf_counter() > deadline:
            break
        # Each poll LISTs every workspace with its status (about 5 MB at 1,000): on two
        # cores, polling every 2 s would take a share of the CPU it measures.
        time.sleep(max(2.0, count / 100))
    cpu = operator_cpu(pid) - cpu0
    spent = Window.between(before, scrape(target.kubeconfig))
    calls = external_calls(target.operator) - calls0
    result: dict[str, Any] = {
        "workspaces": count,
        "complete": ready == count,
        "ready": ready,
        "all_ready_s": elapsed,
        "ready_curve": curve,
        **operator_memory(pid),
        "operator_cpu_s_per_workspace": cpu / max(ready, 1),
        "requests_per_workspace": (spent.reads + spent.writes) / count,
        "writes_per_workspace": spent.writes / count,
        "operator_calls_per_workspace": {k: v / count for k, v in calls.items()},
    }
    if ready == count:
        result["idle"] = idle(target, count, idle_window)
    return result


def _grant_until(target: Target, ws: str, ds: str, ends: dt.datetime | None) -> str:
    name = unique("bg")
    expires = (ends or dt.datetime(2030, 1, 1, tzinfo=dt.UTC)).isoformat()
    _apply(target.kubeconfig, [grant(name, ws, ds, expires.replace("+00:00", "Z"))])
    return name


def revocation(target: Target, trials: int, mode: str) -> list[float]:
    """Grant end → the object store refuses the dataset read, ``trials`` times; ``mode``
    ``deleted`` (kubectl delete of the grant) or ``expires`` (its ``expires`` passes)."""
    root = root_client(target.minio)
    if not root.bucket_exists(DATASETS_BUCKET):
        root.make_bucket(DATASETS_BUCKET)
    ds, ws = unique("bds"), unique("brv")
    put(root, DATASETS_BUCKET, f"{ds}/{KEY}", b"BEN_NIR_PSA\nP0001\n")
    _apply(
        target.kubeconfig, [dataset(ds, DATASETS_BUCKET, ds), workspace(ws, deletionPolicy=DELETE)]
    )
    wait_for(f"{ws} Ready", lambda: _ready(target.cluster.get(WORKSPACE, ws)), timeout=120)
    client = wait_for(
        f"{ws}'s credentials", lambda: workspace_client(target.cluster, ws, target.minio)
    )

    def reads() -> bool:
        return not denied(lambda: read(client, DATASETS_BUCKET, f"{ds}/{KEY}"))

    samples: list[float] = []
    attempts = 0
    while len(samples) < trials:
        attempts += 1
        assert attempts <= 2 * trials, f"only {len(samples)} of {trials} grants opened in time"
        ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20) if mode == "expires" else None
        name = _grant_until(target, ws, ds, ends)
        limit = (ends - dt.datetime.now(dt.UTC)).total_seconds() if ends else 120
        if not _opened(reads, limit):
            continue  # it ended before the (loaded) operator opened it: not a trial
        if ends is None:
            kubectl(target.kubeconfig, "delete", "datasetgrant", name, "--wait=false")
            since = time.time()
        else:
            since = ends.timestamp()
        samples.append(_denied_after(reads, since))
    kubectl(target.kubeconfig, "delete", "workspace", ws, "--wait=false")
    return samples


def _opened(reads: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if reads():
            return True
        time.sleep(0.1)
    return False


def _denied_after(reads: Callable[[], bool], since: float) -> float:
    """Seconds from ``since`` (wall clock) until ``reads()`` is refused, polled every 50 ms."""
    deadline = time.monotonic() + 120
    while reads():
        if time.monotonic() > deadline:
            raise AssertionError("access still open 120 s after the grant ended")
        time.sleep(0.05)
    return max(0.0, time.time() - since)


def write_result(directory: Path, suite: str, data: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{suite}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path
