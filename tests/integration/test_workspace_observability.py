"""The operator's metrics, the shipped dashboards and alert rules, proven on a real
Prometheus scraping the real operator after a workload of workspaces and grants.

The workload (once per module): a dataset; workspace ``main`` Ready with an object in its
bucket, ending in 10 days; grants on it ending in 7 days, in seconds (then expired), and one
deleted; a workspace suspended after being Ready; a workspace whose owner is also listed as a
viewer (never Ready: OwnerRoleConflict); a NetworkPolicy deleted behind Havre's back.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devstack.havre_setup import install_alert_rules
from havre.kube.kinds import Kind, by_name
from havre.metrics.definitions import ALLOWED_LABELS
from havre.metrics.trino import COMPLETED, CPU, TRINO_JOB, TRINO_LABELS, TRINO_METRICS
from tests.integration.conftest import Kube, Platform
from tests.integration.engine_workspace import EngineWorkspace
from tests.integration.helpers import ROOT, OperatorProcess, kubectl, wait_for
from tests.integration.promql import (
    PROMETHEUS_METRICS,
    RULES,
    Prometheus,
    alert_rules,
    measure,
    metric_names,
    panel_queries,
    substitute,
)
from tests.integration.storage import put, root_client, workspace_client
from tests.integration.trino_metrics import TrinoScrape, scrape_after_query
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    unique,
    wait_provisioned,
    workspace,
)
from tests.integration.workspaces import dataset as dataset_manifest
from tests.integration.workspaces import grant as grant_manifest

pytestmark = pytest.mark.integration

DATASET_BUCKET = "havre-datasets"
NETWORK_POLICY = by_name("NetworkPolicy")
GRANT = by_name("DatasetGrant")
#: Labels whose values are object names: bounded by the objects that exist.
OBJECT_LABELS = frozenset({"workspace", "grant", "dataset"})
#: Any other label has a few values fixed by Havre's code.
MAX_CODE_VALUES = 40
_POD = Kind("v1", "Pod", "pods", True)


def _connect(host: str, port: int) -> str:
    """``open``, ``refused`` (a policy rejects) or ``timeout`` (dropped), from the machine."""
    try:
        with socket.create_connection((host, port), timeout=3):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return f"error {exc.errno}"


def _at(seconds: float) -> str:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Workload:
    prometheus: Prometheus
    metrics_url: str
    main: str
    expiring_grant: str
    users: frozenset[str]
    object_keys: frozenset[str]


def _ready_grant(kube: Kube, name: str) -> bool:
    cond = condition(kube.cluster.get(GRANT, name))
    return cond is not None and cond["status"] == "True"


@pytest.fixture(scope="module")
def workload(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any], platform: Platform
) -> Iterator[Workload]:
    prom_info = platform("prometheus")
    install_alert_rules(prom_info)
    prometheus = Prometheus(prom_info["url"])
    root = root_client(minio)
    if not root.bucket_exists(DATASET_BUCKET):
        root.make_bucket(DATASET_BUCKET)
    ds, main, paused, broken = unique("obsds"), unique("obs"), unique("obsp"), unique("obsx")
    grants = {k: f"{main}-{k}" for k in ("soon", "short", "gone")}
    apply(kube.kubeconfig, dataset_manifest(ds, DATASET_BUCKET, ds))
    # a 1 MiB bucket quota that the workload fills to 92 %
    size = {**workspace(main)["spec"]["size"], "storage": "1Mi"}
    apply(kube.kubeconfig, workspace(main, expires=_at(10 * 86400), size=size))
    apply(kube.kubeconfig, workspace(paused))
    owner = workspace(broken)["spec"]["owner"]
    apply(
        kube.kubeconfig,
        workspace(broken, members=[{"user": owner, "role": "viewer"}]),
    )
    wait_provisioned(kube.cluster, main, timeout=90)
    wait_provisioned(kube.cluster, paused, timeout=90)
    key = f"results/{unique('table')}.csv"
    client = wait_for("main's credentials", lambda: workspace_client(kube.cluster, main, minio))
    put(client, f"ws-{main}", key, b"patients,count\nI50,12\n" * (int(0.92 * 2**20) // 22))
    for kind, expires in (("soon", _at(7 * 86400)), ("short", _at(15)), ("gone", _at(86400))):
        apply(kube.kubeconfig, grant_manifest(grants[kind], main, ds, expires))
    wait_for(
        "the grants Ready",
        lambda: all(_ready_grant(kube, name) for name in grants.values()),
        timeout=60,
    )
    kubectl(kube.kubeconfig, "delete", "datasetgrant", grants["gone"])  # waits: revoked
    apply(kube.kubeconfig, workspace(paused, suspended=True))

    def short_grant_ended() -> bool:
        ws = kube.cluster.get(WORKSPACE, main) or {}
        listed = {g["name"] for g in ws.get("status", {}).get("grants", [])}
        ended = condition(kube.cluster.get(GRANT, grants["short"])) or {}
        return ended.get("reason") == "Expired" and grants["short"] not in listed

    # Only then the drift: no other reconcile of main may put the policy back before the
    # repair timer does.
    wait_for("the short grant's end", short_grant_ended, timeout=90)
    policies = kube.cluster.list(NETWORK_POLICY, f"ws-{main}")
    kubectl(
        kube.kubeconfig,
        "delete",
        "networkpolicy",
        "-n",
        f"ws-{main}",
        policies[0]["metadata"]["name"],
    )
    users = {
        m["user"]
        for ws in kube.cluster.list(WORKSPACE)
        for m in [{"user": ws["spec"]["owner"]}, *ws["spec"].get("members", [])]
    }
    yield Workload(
        prometheus=prometheus,
        metrics_url=f"http://127.0.0.1:{operator.metrics_port}/metrics",
        main=main,
        expiring_grant=grants["soon"],
        users=frozenset(users),
        object_keys=frozenset({key, key.rsplit("/", 1)[-1]}),
    )
    for name in grants.values():
        kubectl(
            kube.kubeconfig, "delete", "datasetgrant", name, "--ignore-not-found", "--wait=false"
        )
    for name in (main, paused, broken):
        kubectl(kube.kubeconfig, "delete", "workspace", name, "--ignore-not-found", "--wait=false")
    kubectl(kube.kubeconfig, "delete", "dataset", ds, "--ignore-not-found", "--wait=false")


@pytest.fixture(scope="module")
def scraped(workload: Workload) -> Workload:
    """Wait until Prometheus holds the workload's effects, scraped from the operator."""
    prom, main = workload.prometheus, workload.main
    for what, promql in [
        ("a suspension", 'havre_revocations_total{cause="suspended"}'),
        ("a deleted grant's revocation", 'havre_revocations_total{cause="deleted"}'),
        ("an expired grant's revocation", 'havre_revocations_total{cause="expired"}'),
        ("a drift repair", 'havre_drift_repairs_total{resource="NetworkPolicy"}'),
        (
            "main's bucket above 90 % of its quota",
            f'havre_workspace_storage_used_bytes{{workspace="{main}"}} '
            f'/ havre_workspace_storage_quota_bytes{{workspace="{main}"}} > 0.9',
        ),
        ("a reconcile error", 'havre_reconcile_errors_total{reason="OwnerRoleConflict"}'),
    ]:
        prom.wait(what, promql, timeout=120)
    # increase() and rate() need two samples of a series in their window: a counter first
    # seen at 1 has only one until the next scrape
    for counter in ("havre_revocations_total", "havre_drift_repairs_total"):
        prom.wait(f"two samples of {counter}", f"count_over_time({counter}[1h]) > 1")
    # rates over one minute need two samples of every series: a few scrapes more
    prom.wait(
        "a rate of errors", 'rate(havre_reconcile_errors_total{reason="OwnerRoleConflict"}[1m]) > 0'
    )
    return workload


@pytest.fixture(scope="module")
def trino_scraped(
    kube: Kube, keycloak: dict[str, Any], platform: Platform, engine: EngineWorkspace
) -> TrinoScrape:
    """The session's Trino-pod workspace scraped by Prometheus, after a query of a member."""
    return scrape_after_query(platform("prometheus"), kube.kubeconfig, keycloak, engine)


def _trino_names(trino: TrinoScrape) -> set[str]:
    """Metric names Prometheus holds from the workspaces' Trino."""
    found = trino.prometheus.query('group by (__name__) ({job="havre-trino"})')
    return {r["metric"]["__name__"] for r in found}


def _operator_metrics(workload: Workload) -> str:
    resp = requests.get(workload.metrics_url, timeout=10)
    resp.raise_for_status()
    return resp.text


def _defined_names(text: str) -> set[str]:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    names = set()
    for family in text_string_to_metric_families(text):
        for suffix in suffixes.get(family.type, [""]):
            names.add(family.name + suffix)
    return names


def test_operator_metrics_pass_promtool_check(scraped: Workload, platform: Platform) -> None:
    platform("prometheus")  # installs promtool
    text = _operator_metrics(scraped)
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert "havre_reconciles_total" in text and "havre_workspace_ready" in text


def _object_names(kube: Kube) -> dict[str, set[str]]:
    """Names each object label may take: existing objects, and what grants refer to."""
    grants = kube.cluster.list(GRANT)
    return {
        "workspace": {o["metadata"]["name"] for o in kube.cluster.list(WORKSPACE)}
        | {g["spec"]["workspace"] for g in grants},
        "grant": {g["metadata"]["name"] for g in grants},
        "dataset": {o["metadata"]["name"] for o in kube.cluster.list(by_name("Dataset"))}
        | {g["spec"]["dataset"] for g in grants},
    }


def test_metric_labels_are_bounded_and_name_no_user_or_object_key(
    scraped: Workload, kube: Kube
) -> None:
    values: dict[str, set[str]] = {}
    before = _object_names(kube)
    text = _operator_metrics(scraped)
    after = _object_names(kube)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            unknown = set(sample.labels) - ALLOWED_LABELS
            assert not unknown, f"{sample.name} has labels outside the allow-list: {unknown}"
            for label, value in sample.labels.items():
                values.setdefault(label, set()).add(value)
    leaked = {v for vs in values.values() for v in vs} & (scraped.users | scraped.object_keys)
    assert not leaked, f"user names or object keys as label values: {leaked}"
    for label, seen in values.items():
        if label in OBJECT_LABELS:
            known = before[label] | after[label]
            assert seen <= known, f"{label} values that name no object: {seen - known}"
        elif label != "le":
            assert len(seen) <= MAX_CODE_VALUES, f"{label} has {len(seen)} values: {sorted(seen)}"
    assert scraped.main in values["workspace"]


def test_every_dashboard_panel_returns_data_from_metrics_the_operator_defines(
    scraped: Workload, trino_scraped: TrinoScrape
) -> None:
    trino_names = _trino_names(trino_scraped)
    defined = _defined_names(_operator_metrics(scraped)) | PROMETHEUS_METRICS | trino_names
    queries = panel_queries()
    assert len({(q.dashboard, q.panel) for q in queries}) >= 20
    empty, undefined = [], []
    for query in queries:
        # Trino panels show the workspace whose Trino runs (main's never fits the node).
        reads_trino = bool(metric_names(query.expr) & trino_names)
        promql = substitute(query.expr, trino_scraped.workspace if reads_trino else scraped.main)
        result = scraped.prometheus.query(promql)
        print(f"{query.dashboard} / {query.panel}: {len(result)} series  [{promql}]")
        if not result:
            empty.append(f"{query.dashboard} / {query.panel}: {promql}")
        undefined += [f"{query.panel}: {n}" for n in metric_names(promql) - defined]
    assert not undefined, f"panels query metrics the operator does not define: {undefined}"
    assert not empty, "panels without data:\n" + "\n".join(empty)


def test_every_alert_expression_is_well_formed_and_measures_defined_metrics(
    scraped: Workload, audit: dict[str, Any]
) -> None:
    # The audit receiver's metrics (docs/audit.md) are scraped as job havre-audit.
    receiver = requests.get(audit["metrics_url"], timeout=10).text
    defined = _defined_names(_operator_metrics(scraped)) | _defined_names(receiver)
    defined |= PROMETHEUS_METRICS
    rules = alert_rules()
    assert {r.name for r in rules} >= {
        "HavreOperatorDown",
        "HavreReconcileErrorsPersisting",
        "HavreWorkspaceNotReady",
        "HavreGrantExpiringSoon",
        "HavreWorkspaceExpiringSoon",
        "HavreBucketNearQuota",
        "HavreExternalSystemUnavailable",
    }
    for rule in rules:
        scraped.prometheus.query(rule.expr)  # well-formed: Prometheus accepts it
        result = scraped.prometheus.query(measure(rule.expr))
        print(f"alert {rule.name}: {len(result)} series  [{measure(rule.expr)}]")
        assert result, f"{rule.name} measures nothing: {measure(rule.expr)}"
        assert not metric_names(rule.expr) - defined, (rule.name, metric_names(rule.expr) - defined)
        assert rule.labels.get("severity") in {"critical", "warning", "info"}
        assert {"summary", "description", "runbook_url"} <= set(rule.annotations)


def test_grant_ending_within_14_days_fires_its_alert(scraped: Workload) -> None:
    firing = scraped.prometheus.wait(
        "HavreGrantExpiringSoon firing",
        f'ALERTS{{alertname="HavreGrantExpiringSoon", alertstate="firing", '
        f'grant="{scraped.expiring_grant}"}}',
        timeout=60,
    )
    assert firing[0]["metric"]["workspace"] == scraped.main
    assert firing[0]["metric"]["severity"] == "warning"


def test_alert_rules_pass_promtool_check_and_unit_tests(platform: Platform) -> None:
    platform("prometheus")  # installs promtool
    files = sorted(str(p) for p in RULES.glob("*.yaml"))
    check = subprocess.run(
        ["promtool", "check", "rules", *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted(str(p) for p in (ROOT / "tests" / "rules").glob("*.test.yaml"))
    assert len(tests) == len(files)
    unit = subprocess.run(
        ["promtool", "test", "rules", *tests],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr


def test_workspace_trino_queries_and_cpu_time_are_scraped_labelled_by_workspace_only(
    trino_scraped: TrinoScrape, kube: Kube
) -> None:
    prom, ws = trino_scraped.prometheus, trino_scraped.workspace
    completed = prom.query(f'{COMPLETED}{{workspace="{ws}"}}')
    cpu = prom.query(f'{CPU}{{workspace="{ws}"}}')
    assert completed and float(completed[0]["value"][1]) > trino_scraped.completed_before
    assert cpu and float(cpu[0]["value"][1]) >= 0, f"no CPU time series for {ws}: {cpu}"
    missing = [n for n in TRINO_METRICS if not prom.query(f'{n}{{workspace="{ws}"}}')]
    assert not missing, f"documented Trino metrics not scraped: {missing}"
    series = prom.query(f'{{job="{TRINO_JOB}"}}')
    assert any(one["metric"]["workspace"] == ws for one in series)
    for one in series:
        labels = dict(one["metric"])
        name = labels.pop("__name__")
        assert set(labels) == set(TRINO_LABELS), (name, labels)
        # instance is the workspace too: one series per workspace, whichever pod serves it
        assert labels["instance"] == labels["workspace"], (name, labels)
    assert kube.cluster.get(WORKSPACE, ws) is not None
    print(f"\n{len(series)} Trino series of {ws}; {COMPLETED}={completed[0]['value'][1]}")


def test_the_scraper_reaches_the_coordinators_https_port_and_no_other_trino_pod(
    trino_scraped: TrinoScrape, kube: Kube, engine: EngineWorkspace
) -> None:
    """The machine (the stack's scraper address) opens TCP to the coordinator's 8443, which
    the workspace's policy admits; the worker's 8443 stays closed to it (default deny)."""
    workers = kube.cluster.list(
        _POD,
        engine.namespace,
        "app.kubernetes.io/name=trino,app.kubernetes.io/component=worker",
    )
    running = [p for p in workers if p.get("status", {}).get("podIP")]
    assert running, "the engine's worker pod"
    host, port = trino_scraped.coordinator.rsplit(":", 1)
    assert _connect(host, int(port)) == "open"
    worker = running[0]["status"]["podIP"]
    # The policy enforcer programs a new pod's chains a moment after it starts: wait for
    # the worker to be closed; it never opens again (the assertion below).
    wait_for(
        "the worker's 8443 closed to the scraper", lambda: _connect(worker, 8443) != "open", 60
    )
    assert _connect(worker, 8443) != "open"
