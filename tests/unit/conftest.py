"""Unit-test helpers: golden files and a standard workspace."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from havre.pipeline.validate import ValidWorkspace, validate_workspace
from havre.settings import Endpoint, Settings

# Performance is measured by benchmarks, not by timed tests: on a loaded machine an example
# may take longer than hypothesis's default 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile("havre", deadline=None)
hypothesis_settings.load_profile("havre")

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).parents[2] / "workspaces" / "examples"
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def assert_golden(name: str, rendered: Any) -> None:
    """Compare with tests/unit/golden/<name>.yaml; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / f"{name}.yaml"
    text = yaml.safe_dump(rendered, sort_keys=True, width=100)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing; create it with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path} differs; rerun with UPDATE_GOLDEN=1 if intended"


def load_example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return loaded


#: An approver's decision, as an approved workspace carries it.
APPROVAL = {"decision": "Approved", "by": "oidc:carla"}


@pytest.fixture
def cardio() -> ValidWorkspace:
    """The cardio example as approved."""
    obj = load_example("cardio")
    return validate_workspace(obj["metadata"]["name"], {**obj["spec"], "approval": APPROVAL}, NOW)


@pytest.fixture
def settings() -> Settings:
    return Settings(
        object_store=Endpoint(cidr="10.0.10.0/24", port=9000),
        catalog_database=Endpoint(cidr="10.0.11.5/32", port=5432),
        identity_provider=Endpoint(cidr="10.0.12.0/24", port=8443),
        gateway_namespace="havre-gateway",
        username_prefix="oidc:",
    )
