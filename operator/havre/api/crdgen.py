"""Render the CustomResourceDefinitions in ``crds/`` from the pydantic models.

The models are the one source of the schema; ``make crds`` writes the files and a unit test
fails when the committed files differ from what this module renders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from havre.api import GROUP, VERSION
from havre.api.model import NAME_MAX, NAME_PATTERN, DatasetGrantSpec, DatasetSpec, WorkspaceSpec
from havre.api.status import DatasetStatus, GrantStatus, WorkspaceStatus

_DROP = {"title", "$defs"}


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema as a Kubernetes structural schema (refs inlined, no nulls)."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    converted = _convert(schema, defs)
    assert isinstance(converted, dict)
    return converted


def _convert(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_convert(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[1]]
        node = {**target, **node}  # the property's own description wins
    if "anyOf" in node:  # Optional[X]: status fields we simply omit when unset
        options = [o for o in node.pop("anyOf") if o.get("type") != "null"]
        assert len(options) == 1, f"unsupported union in schema: {options}"
        node = {**_convert(options[0], defs), **node}
        node.pop("default", None)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "additionalProperties" and value is False:
            continue  # structural schemas prune unknown fields; the API server rejects them
        if key == "properties":
            out[key] = {name: _convert(prop, defs) for name, prop in value.items()}
        else:
            out[key] = _convert(value, defs)
    if out.get("type") == "object" and "properties" in out:
        for name, prop in out["properties"].items():
            if name not in out.get("required", []) and prop.get("type") == "object":
                prop.setdefault("default", {})  # so nested defaults apply on admission
    return out


def _name_rule() -> dict[str, str]:
    return {
        "rule": f"self.metadata.name.size() <= {NAME_MAX} && "
        f"self.metadata.name.matches('{NAME_PATTERN}')",
        "message": f"metadata.name must be at most {NAME_MAX} lowercase letters, digits or "
        "single hyphens, starting with a letter (it names a namespace, a bucket and a "
        "database)",
    }


def _condition_column(name: str, field: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "jsonPath": f'.status.conditions[?(@.type=="Ready")].{field}',
    }


def _crd(
    kind: str,
    plural: str,
    spec: type[BaseModel],
    status: type[BaseModel],
    columns: list[dict[str, Any]],
    short: list[str],
    categories: list[str],
) -> dict[str, Any]:
    description = (spec.__doc__ or kind).strip()
    schema = {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "x-kubernetes-validations": [_name_rule()],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": structural_schema(spec),
            "status": structural_schema(status),
        },
    }
    base_columns = [_condition_column("Ready", "status"), _condition_column("Reason", "reason")]
    age = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
                "categories": categories,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [*base_columns, *columns, age],
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def render_crds() -> dict[str, dict[str, Any]]:
    """File name → CRD manifest, for every kind of the API."""
    expires = {"name": "Expires", "type": "string", "jsonPath": ".spec.expires"}
    return {
        "workspaces.yaml": _crd(
            "Workspace",
            "workspaces",
            WorkspaceSpec,
            WorkspaceStatus,
            [
                {"name": "Owner", "type": "string", "jsonPath": ".spec.owner"},
                expires,
                # Federation: the member cluster the hub placed it on (empty elsewhere).
                {"name": "Member", "type": "string", "jsonPath": ".status.member"},
            ],
            ["ws"],
            ["havre"],
        ),
        "datasets.yaml": _crd(
            "Dataset",
            "datasets",
            DatasetSpec,
            DatasetStatus,
            [{"name": "Steward", "type": "string", "jsonPath": ".spec.steward"}],
            ["ds"],
            ["havre"],
        ),
        "datasetgrants.yaml": _crd(
            "DatasetGrant",
            "datasetgrants",
            DatasetGrantSpec,
            GrantStatus,
            [
                {"name": "Workspace", "type": "string", "jsonPath": ".spec.workspace"},
                {"name": "Dataset", "type": "string", "jsonPath": ".spec.dataset"},
                expires,
            ],
            ["dsg"],
            ["havre"],
        ),
    }


HEADER = "# Generated from operator/havre/api/model.py by `make crds`; do not edit.\n"


def dump(manifest: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(manifest, sort_keys=False, width=100)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path("crds")
    target.mkdir(parents=True, exist_ok=True)
    for filename, manifest in render_crds().items():
        (target / filename).write_text(dump(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
