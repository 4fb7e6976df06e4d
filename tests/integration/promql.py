"""What the dashboards and alert rules ask Prometheus, and a client to ask it: the queries
of every shipped panel and rule, the metric names they name, and alert expressions turned
into their measure (``a > 0.9`` → ``a > bool 0.9``: every series, 1 where the alert holds).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.integration.helpers import ROOT

DASHBOARDS = ROOT / "charts" / "havre" / "files" / "dashboards"
RULES = ROOT / "charts" / "havre" / "files" / "rules"
#: Metrics that Prometheus itself makes for every target.
PROMETHEUS_METRICS = frozenset({"up", "scrape_duration_seconds", "ALERTS"})

# Words of PromQL that are neither functions (those are followed by "(") nor metric names.
_KEYWORDS = frozenset(
    {"bool", "and", "or", "unless", "offset", "inf", "nan", "by", "without", "on", "ignoring"}
)
_COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]
    file: Path


def panel_queries() -> list[PanelQuery]:
    """Every target of every panel of every shipped dashboard."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                found.append(PanelQuery(board["title"], panel["title"], target["expr"]))
    return found


def alert_rules() -> list[AlertRule]:
    rules = []
    for path in sorted(RULES.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                rules.append(
                    AlertRule(
                        rule["alert"],
                        rule["expr"],
                        rule.get("labels", {}),
                        rule.get("annotations", {}),
                        path,
                    )
                )
    return rules


def substitute(expr: str, workspace: str) -> str:
    """A panel query as Grafana would send it for ``workspace``."""
    return expr.replace("$__rate_interval", "1m").replace("$workspace", workspace)


def _top_level(expr: str) -> list[tuple[int, str]]:
    """Positions of comparison operators outside brackets, braces and quotes."""
    found: list[tuple[int, str]] = []
    depth, quote, i = 0, "", 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            quote = "" if ch == quote and expr[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            op = next((o for o in _COMPARISONS if expr.startswith(o, i)), None)
            if op is not None:
                found.append((i, op))
                i += len(op)
                continue
        i += 1
    return found


def measure(expr: str) -> str:
    """The alert's condition as a value per series: ``bool`` after its last top-level
    comparison. ValueError when the expression has none (every rule here compares)."""
    ops = _top_level(expr)
    if not ops:
        raise ValueError(f"no top-level comparison in {expr!r}")
    pos, op = ops[-1]
    return f"{expr[: pos + len(op)]} bool{expr[pos + len(op) :]}"


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (not functions, keywords or label names)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        following = text[match.end() :].lstrip()[:1]
        if word in _KEYWORDS or following == "(" or word.startswith("$"):
            continue
        names.add(word)
    return names


class Prometheus:
    """The HTTP API of a real Prometheus."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result; AssertionError with Prometheus' words if it fails."""
        resp = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10)
        body = resp.json()
        assert resp.status_code == 200 and body.get("status") == "success", (promql, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait(self, what: str, promql: str, timeout: float = 90.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(1)

    def reload(self) -> None:
        requests.post(f"{self.url}/-/reload", timeout=30).raise_for_status()

    def rule_files(self) -> set[str]:
        resp = requests.get(f"{self.url}/api/v1/rules", timeout=10)
        resp.raise_for_status()
        return {g["file"] for g in resp.json()["data"]["groups"]}
