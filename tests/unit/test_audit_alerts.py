"""The audit alert rules measure metrics the receiver or the operator export.

(promtool checks and unit-tests the rules with the others: tests/rules/audit.test.yaml,
run by tests/integration/test_workspace_observability.py; the real Prometheus evaluates them there.)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

from havre.audit import metrics

RULES = Path(__file__).parents[2] / "charts" / "havre" / "files" / "rules" / "audit.yaml"


def test_every_audit_alert_measures_a_defined_metric() -> None:
    exported = {
        next(iter(m.describe())).name
        for m in vars(metrics).values()
        if isinstance(m, MetricWrapperBase)
    }
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    used = {
        name.removesuffix("_total")
        for rule in rules
        for name in re.findall(r"havre_audit_\w+", rule["expr"])
    }
    assert used and used <= exported, used - exported
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert {"summary", "description", "runbook_url"} <= rule["annotations"].keys()
