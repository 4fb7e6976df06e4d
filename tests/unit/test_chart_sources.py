"""The chart has one source for the API and one place for the image: its copy of crds/
never drifts, and the image tag, the chart's appVersion and the package agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
CHART = ROOT / "charts" / "havre"


def test_chart_copy_of_crds_is_identical_to_crds_folder() -> None:
    source = {p.name: p.read_bytes() for p in (ROOT / "crds").glob("*.yaml")}
    copy = {p.name: p.read_bytes() for p in (CHART / "files" / "crds").glob("*.yaml")}
    assert sorted(copy) == sorted(source), "run `make chart` to copy crds/ into the chart"
    drifted = [name for name in source if source[name] != copy[name]]
    assert not drifted, f"charts/havre/files/crds differs from crds/ in {drifted}: `make chart`"


def test_image_tag_is_the_chart_app_version_and_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert values["image"]["tag"] == chart["appVersion"] == package
