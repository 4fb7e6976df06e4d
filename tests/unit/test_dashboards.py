"""The shipped dashboards are what the generator makes, and the docs describe them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dashboards.build import DASHBOARDS, dumps, path
from dashboards.spec import Dashboard
from havre.audit import metrics as audit_metrics
from havre.metrics.collectors import FAMILIES
from havre.metrics.definitions import REGISTRY
from havre.metrics.trino import TRINO_METRICS
from tests.integration.promql import PROMETHEUS_METRICS, alert_rules, metric_names, panel_queries

DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda d: d.uid)
def test_committed_dashboard_json_matches_its_generator(board: Dashboard) -> None:
    assert path(board).read_text() == dumps(board), "run: python -m dashboards"


@pytest.mark.parametrize("board", DASHBOARDS, ids=lambda d: d.uid)
def test_every_panel_says_what_it_answers_and_queries_the_chosen_prometheus(
    board: Dashboard,
) -> None:
    model = json.loads(path(board).read_text())
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    assert ("workspace" in variables) == board.workspace_variable
    panels = [p for p in model["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
    for panel in panels:
        assert panel["description"].endswith("?"), panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]


def _documented_metrics() -> set[str]:
    names = {name for name, _, _ in FAMILIES} | set(TRINO_METRICS)
    for family in REGISTRY.collect():
        if family.name.startswith("havre_"):
            names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_observability_doc_lists_every_metric_and_panel() -> None:
    text = (DOCS / "observability.md").read_text()
    missing = sorted(n for n in _documented_metrics() if f"`{n}`" not in text)
    assert not missing, f"metrics not in docs/observability.md: {missing}"
    panels = sorted({q.panel for q in panel_queries()})
    assert not [p for p in panels if p not in text], "panels not in docs/observability.md"
    for board in DASHBOARDS:
        assert f"images/dashboard-{board.uid}.png" in text
        assert (DOCS / "images" / f"dashboard-{board.uid}.png").exists()


def test_every_alert_links_a_runbook_section_that_exists() -> None:
    text = (DOCS / "runbooks.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    }
    for rule in alert_rules():
        page, _, anchor = rule.annotations["runbook_url"].partition("#")
        assert page == "docs/runbooks.md" and anchor in anchors, rule.name


def _registry_names() -> set[str]:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    names = {name for name, _, _ in FAMILIES} | PROMETHEUS_METRICS
    # What the workspaces' Trino serves with the beans Havre's config exports.
    names |= set(TRINO_METRICS)
    # The audit receiver's metrics (docs/audit.md) live in its own process's registry.
    for family in [*REGISTRY.collect(), *audit_metrics.RECEIVER.collect()]:
        names |= {family.name + s for s in suffixes.get(family.type, [""])}
    return names


def test_panels_and_alerts_name_only_metrics_the_operator_defines() -> None:
    defined = _registry_names()
    exprs = [q.expr for q in panel_queries()] + [r.expr for r in alert_rules()]
    unknown = {name for expr in exprs for name in metric_names(expr)} - defined
    assert not unknown, f"metrics no Havre code defines: {sorted(unknown)}"
