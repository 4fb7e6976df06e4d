"""Running the stack's helm, kubeconform and ct on charts/havre (helpers for the tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
CHART = ROOT / "charts" / "havre"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
#: Kinds of the Prometheus Operator: no schema of theirs is bundled offline, so kubeconform
#: skips exactly these (every other kind, CRDs' own included, must have a schema).
SKIPPED_KINDS = ("PodMonitor", "ServiceMonitor", "PrometheusRule")


@dataclass(frozen=True)
class ChartTools:
    helm: str
    kubeconform: str
    schemas: str
    ct: str
    env: dict[str, str]

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=self.env,
            cwd=ROOT,
        )

    def helm_cmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.helm, *args)

    def template(self, release: str, *args: str, namespace: str = "havre") -> str:
        result = self.helm_cmd("template", release, str(CHART), "-n", namespace, *args)
        assert result.returncode == 0, result.stderr
        return result.stdout


def chart_tools(
    helm: dict[str, Any], kubeconform: dict[str, Any], ct: dict[str, Any]
) -> ChartTools:
    venv_bin = Path(sys.executable).parent  # yamllint and yamale for ct
    env = {
        "PATH": f"{Path(helm['helm']).parent}:{venv_bin}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        **helm["env"],
    }
    return ChartTools(
        helm=helm["helm"],
        kubeconform=kubeconform["kubeconform"],
        schemas=kubeconform["schemas"],
        ct=ct["ct"],
        env=env,
    )


def documents(rendered: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered) if d]


def settings_file(rendered: str, component: str = "operator") -> str:
    """The config.yaml of ``component`` (operator or audit) from its settings ConfigMap."""
    for doc in documents(rendered):
        labels = doc.get("metadata", {}).get("labels", {})
        if (
            doc["kind"] == "ConfigMap"
            and doc["metadata"]["name"].endswith("-settings")
            and labels.get("app.kubernetes.io/component") == component
        ):
            text: str = doc["data"]["config.yaml"]
            return text
    raise AssertionError("no settings ConfigMap rendered")
