"""The audit trail's alert rules, checked and evaluated by the real promtool on series
named as the receiver and the operator export them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from devstack.components.prometheus import Prometheus
from devstack.paths import StackPaths
from havre.audit import metrics
from tests.integration.helpers import ROOT

pytestmark = pytest.mark.integration
RULES = ROOT / "charts" / "havre" / "files" / "rules" / "audit.yaml"


def _promtool(paths: StackPaths) -> str:
    Prometheus(paths).build()  # installs prometheus and promtool if missing
    return "promtool"


def _annotations(alert: str, labels: dict[str, str]) -> dict[str, str]:
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    (rule,) = [r for r in rules if r["alert"] == alert]
    return {
        key: re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], value)
        for key, value in rule["annotations"].items()
    }


def _case(alert: str, at: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "eval_time": at,
        "alertname": alert,
        "exp_alerts": [{"exp_labels": labels, "exp_annotations": _annotations(alert, labels)}],
    }


def test_alert_rules_use_exported_metrics_and_fire(stack_paths: StackPaths, tmp_path: Path) -> None:
    exported = {
        next(iter(m.describe())).name
        for m in vars(metrics).values()
        if isinstance(m, MetricWrapperBase)
    }
    exprs = " ".join(r["expr"] for r in yaml.safe_load(RULES.read_text())["groups"][0]["rules"])
    used = {n.removesuffix("_total") for n in re.findall(r"havre_audit_\w+", exprs)}
    assert used <= exported, used - exported
    suite = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": "havre_audit_write_failures_total", "values": "0+1x15"},
                    {"series": "havre_audit_decisions_dropped_total", "values": "0 0 3x13"},
                    {"series": "havre_audit_decisions_buffered", "values": "50x25"},
                    {"series": "havre_audit_decision_send_failures_total", "values": "0+2x25"},
                    {
                        "series": 'havre_audit_requests_refused_total{reason="ForeignWorkspace"}',
                        "values": "0 1x14",
                    },
                ],
                "alert_rule_test": [
                    _case("HavreAuditWritesFailing", "10m", {"severity": "critical"}),
                    _case("HavreAuditReceiverAbsent", "10m", {"severity": "critical"}),
                    _case(
                        "HavreAuditRequestsRefused",
                        "5m",
                        {"severity": "warning", "reason": "ForeignWorkspace"},
                    ),
                    _case("HavreAuditDecisionsDropped", "5m", {"severity": "critical"}),
                    _case("HavreAuditDecisionsBacklog", "20m", {"severity": "warning"}),
                ],
            }
        ],
    }
    test_file = tmp_path / "audit-rules-test.yaml"
    test_file.write_text(yaml.safe_dump(suite))
    checked = subprocess.run(
        [_promtool(stack_paths), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [_promtool(stack_paths), "test", "rules", str(test_file)], capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
