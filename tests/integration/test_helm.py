"""The stack's helm is the pinned upstream release and renders charts offline."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration

CHART = """\
apiVersion: v2
name: probe-chart
version: 0.1.0
kubeVersion: ">=1.30.0-0"
"""

TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  workspace: {{ .Values.workspace | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
"""


def _helm(info: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [info["helm"], *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", **info["env"]},
    )


def test_helm_version_reports_the_pinned_release(platform: Platform) -> None:
    info = platform("helm")
    result = _helm(info, "version")
    assert result.returncode == 0, result.stderr
    assert 'Version:"v3.22.0"' in result.stdout
    assert info["version"] == "v3.22.0"


def test_chart_requiring_recent_kubernetes_renders_with_values(
    platform: Platform, tmp_path: Path
) -> None:
    info = platform("helm")
    chart = tmp_path / "probe-chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "values.yaml").write_text("workspace: default\n")
    (chart / "templates" / "configmap.yaml").write_text(TEMPLATE)

    result = _helm(info, "template", "cohort-a", str(chart), "--set", "workspace=cohort-a")

    assert result.returncode == 0, result.stderr
    assert "name: cohort-a-settings" in result.stdout
    assert 'workspace: "cohort-a"' in result.stdout
    assert 'kube: "v1.37.0"' in result.stdout
