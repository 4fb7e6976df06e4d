"""Every example a user may copy from workspaces/examples is valid for the current API."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from havre.api.model import DatasetGrantSpec, DatasetSpec, WorkspaceSpec, is_valid_name

EXAMPLES = sorted((Path(__file__).parents[2] / "workspaces" / "examples").glob("*.yaml"))
SPECS: dict[str, type[BaseModel]] = {
    "Workspace": WorkspaceSpec,
    "Dataset": DatasetSpec,
    "DatasetGrant": DatasetGrantSpec,
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_valid_havre_object(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        assert doc["apiVersion"] == "havre.io/v1alpha1"
        assert is_valid_name(doc["metadata"]["name"])
        SPECS[doc["kind"]].model_validate(doc["spec"])


def test_there_is_an_example_of_each_kind() -> None:
    kinds = {d["kind"] for p in EXAMPLES for d in yaml.safe_load_all(p.read_text())}
    assert kinds == set(SPECS)
