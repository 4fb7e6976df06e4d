"""Fifty approved workspaces, provisioned and left alone: an idle minute costs the API
server no write and fewer reads than there are workspaces, as the API server itself counts
them: writes from anyone by ``apiserver_request_total``; the operator's reads by its own
audit log. The operator runs as its service account (crds/operator-rbac.yaml), and only its
requests count as its cost: the control plane's garbage collector checks the owners of
freshly created objects for a while on its own, and those reads are not the operator's.

On a control plane of its own (the session's port offset + 20), so that only this
operator and the control plane's own controllers talk to it; the object store and the
catalog database are the session's. Trino is not rendered (its Deployments would wait for
a node; the idle path is the same). Takes about 3-4 minutes: 50 workspaces provisioned,
a settle of two repair intervals, one measured minute, the teardown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import harness
from devstack import stack
from devstack.havre_setup import install_api, storage_and_catalog_environment
from devstack.paths import StackPaths
from havre.kube.cluster import Cluster
from tests.integration.apiserver_metrics import WRITES, Window, scrape
from tests.integration.helpers import (
    OperatorProcess,
    kubectl,
    service_account_kubeconfig,
    wait_for,
)
from tests.integration.rbac_usage import read_events
from tests.integration.workspaces import condition, unique, workspace

pytestmark = pytest.mark.integration

COUNT = 50
REPAIR_INTERVAL = 10
IDLE_WINDOW = 60.0
OPERATOR = "system:serviceaccount:havre-system:havre-operator"
READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass(frozen=True)
class Quiet:
    kubeconfig: str
    audit_log: Path
    operator: OperatorProcess
    names: tuple[str, ...]
    provisioning: Window


def ready_count(kubeconfig: str, names: tuple[str, ...]) -> int:
    listed = kubectl(kubeconfig, "get", "workspaces", "-o", "json")
    items = json.loads(listed.stdout)["items"] if listed.returncode == 0 else []
    return sum(
        1
        for item in items
        if item["metadata"]["name"] in names and (condition(item) or {}).get("status") == "True"
    )


def apply_all(kubeconfig: str, objs: list[dict[str, Any]]) -> None:
    result = kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(objs))
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def quiet(
    stack_paths: StackPaths,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Quiet]:
    state: Path = tmp_path_factory.mktemp("idle-kube")
    paths = StackPaths(state=state, port_offset=stack_paths.port_offset + 20)
    stack.up(paths, ["kube"])
    operator = None
    names: tuple[str, ...] = ()
    try:
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        kube = manifest["components"]["kube"]
        kubeconfig = str(kube["kubeconfig"])
        install_api(kubeconfig, state)
        own = service_account_kubeconfig(kubeconfig, state / "operator.kubeconfig")
        env = {
            **storage_and_catalog_environment(minio, postgres),
            "HAVRE_REPAIR_INTERVAL": str(REPAIR_INTERVAL),
            "HAVRE_AUDIT_INTERVAL": "1800",
        }
        operator = OperatorProcess(own, state / "operator.log", env)
        operator.start()
        run = unique("idle")
        names = tuple(f"{run}-{i:02d}" for i in range(COUNT))
        before = scrape(kubeconfig)
        apply_all(kubeconfig, [workspace(n, deletionPolicy="Delete") for n in names])
        wait_for(
            f"{COUNT} workspaces Ready",
            lambda: ready_count(kubeconfig, names) == COUNT,
            timeout=600,
            interval=5,
        )
        provisioning = Window.between(before, scrape(kubeconfig))
        yield Quiet(kubeconfig, Path(kube["audit_log"]), operator, names, provisioning)
    finally:
        if operator is not None and names:
            # the operator honours deletionPolicy Delete (buckets, databases) before it stops
            kubectl(kubeconfig, "delete", "workspaces", "--all", "--wait=false")
            wait_for(
                "the idle-cost workspaces to be deleted",
                lambda: not kubectl(kubeconfig, "get", "workspaces", "-o", "name").stdout.strip(),
                timeout=300,
                interval=5,
            )
        if operator is not None:
            operator.stop()
        stack.down(paths)


def operator_requests(audit_log: Path, start: int, scratch: Path) -> list[dict[str, Any]]:
    """The operator's completed requests in the audit log written since byte ``start``."""
    with audit_log.open("rb") as log:
        log.seek(start)
        scratch.write_bytes(log.read())
    return read_events(scratch, OPERATOR)


def settled(kubeconfig: str) -> Window | None:
    """A window of two repair intervals without a write: the ledger is filled (the watches'
    echoes of provisioning have each had their full reconcile)."""
    before = scrape(kubeconfig)
    time.sleep(2 * REPAIR_INTERVAL)
    window = Window.between(before, scrape(kubeconfig))
    return window if window.writes == 0 else None


@pytest.mark.timeout(1500)  # includes the module's setup: 50 workspaces on a loaded machine
def test_an_idle_minute_of_fifty_workspaces_makes_no_write_and_under_one_read_each(
    quiet: Quiet, tmp_path: Path
) -> None:
    # the witness counts this operator's writes: provisioning made plenty
    made = quiet.provisioning.of(WRITES)
    assert made.get("APPLY namespaces", 0) + made.get("PATCH namespaces", 0) >= COUNT, made
    wait_for("a quiet API server", lambda: settled(quiet.kubeconfig), timeout=180, interval=0)
    before = scrape(quiet.kubeconfig)
    start = quiet.audit_log.stat().st_size
    started = time.monotonic()
    time.sleep(IDLE_WINDOW)  # the measured minute itself, not a wait for a condition
    idle = Window.between(before, scrape(quiet.kubeconfig))
    elapsed = time.monotonic() - started
    mine = operator_requests(quiet.audit_log, start, tmp_path / "audit.jsonl")
    reads = [e for e in mine if e["verb"] in READ_VERBS]
    writes = [e for e in mine if e["verb"] not in READ_VERBS]
    seen = sorted(f"{e['verb']} {e.get('objectRef', {}).get('resource')}" for e in mine)
    print(
        f"idle {elapsed:.0f}s with {COUNT} workspaces: the operator made {len(writes)} writes, "
        f"{len(reads)} reads; the API server served {idle.writes} writes, {idle.reads} reads "
        f"{idle.of(frozenset({'GET', 'LIST', 'WATCH'}))}"
    )
    assert idle.writes == 0, idle.of(WRITES)
    assert not writes, seen
    assert len(reads) < COUNT * elapsed / 60, seen
    assert ready_count(quiet.kubeconfig, quiet.names) == COUNT


@pytest.mark.timeout(1500)  # includes the module's teardown: deleting every workspace
def test_the_benchmark_harness_runs_each_measure_once_at_a_tiny_size(
    quiet: Quiet, minio: dict[str, Any], tmp_path: Path
) -> None:
    """A smoke run of ``make bench``'s measures (bench/harness.py) on this control plane:
    each returns figures of the right shape; revocation is measured, not assumed."""
    target = harness.Target(
        quiet.kubeconfig,
        Cluster.from_kubeconfig(quiet.kubeconfig),
        quiet.operator,
        minio,
        REPAIR_INTERVAL,
    )
    one = harness.percentiles(harness.one_at_a_time(target, 2))
    batch = harness.percentiles(harness.at_once(target, 3))
    deleted = harness.percentiles(harness.revocation(target, 1, "deleted"))
    expired = harness.percentiles(harness.revocation(target, 1, "expires"))
    scaled = harness.scale(target, 3, idle_window=5)
    for figures in (one, batch, deleted, expired):
        assert 0 <= figures["p50"] <= figures["p95"] <= figures["max"] < 120, figures
    assert scaled["all_ready_s"] > 0 and scaled["peak_rss_mib"] >= scaled["rss_mib"] > 0
    assert scaled["writes_per_workspace"] > 0 and scaled["idle"]["writes_per_min"] == 0
    written = harness.write_result(tmp_path, "smoke", {"provision": one, "scale": scaled})
    assert json.loads(written.read_text())["scale"]["workspaces"] == 3
