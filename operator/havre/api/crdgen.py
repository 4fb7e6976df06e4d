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
from havre.api.model import (
    NAME_MAX,
    NAME_PATTERN,
    PROFILE_PATTERN,
    DatasetGrantSpec,
    DatasetSpec,
    SizeProfileSpec,
    WorkspaceSpec,
)
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
            optional = "anyOf" in node["properties"][name]  # X | None: absent has a meaning
            required = name in out.get("required", [])
            if not required and not optional and prop.get("type") == "object":
                prop.setdefault("default", {})  # so nested defaults apply on admission
    return out


def _profile_name_rule() -> dict[str, str]:
    return {
        "rule": f"self.metadata.name.matches('{PROFILE_PATTERN}')",
        "message": "metadata.name must be a DNS label (at most 63 lowercase letters, digits or "
        "hyphens): workspaces name their profile in spec.sizeProfile",
    }


def _name_rule() -> dict[str, str]:
    return {
        "rule": f"self.metadata.name.size() <= {NAME_MAX} && "
        f"self.metadata.name.matches('{NAME_PATTERN}')",
        "message": f"metadata.name must be at most {NAME_MAX} lowercase letters, digits or "
        "single hyphens, starting with a letter (it names a namespace, a bucket and a "
        "database)",
    }


def _condition_column(name: str, field: str, condition: str = "Ready") -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "jsonPath": f'.status.conditions[?(@.type=="{condition}")].{field}',
    }


def _crd(
    kind: str,
    plural: str,
    spec: type[BaseModel],
    status: type[BaseModel] | None,
    columns: list[dict[str, Any]],
    short: list[str],
    categories: list[str],
    name_rule: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A cluster-scoped kind; one with a ``status`` model gets the status subresource and
    the Ready and Reason columns, one without (a configuration object) neither."""
    description = (spec.__doc__ or kind).strip()
    properties = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": structural_schema(spec),
    }
    if status is not None:
        properties["status"] = structural_schema(status)
    schema = {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "x-kubernetes-validations": [name_rule or _name_rule()],
        "properties": properties,
    }
    base_columns = (
        [_condition_column("Ready", "status"), _condition_column("Reason", "reason")]
        if status is not None
        else []
    )
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
                    **({"subresources": {"status": {}}} if status is not None else {}),
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
                _condition_column("Approved", "status", "Approved"),
                {"name": "Owner", "type": "string", "jsonPath": ".spec.owner"},
                {"name": "Profile", "type": "string", "jsonPath": ".spec.sizeProfile"},
                expires,
                # Federation: the member cluster the hub placed it on (empty elsewhere).
                {"name": "Member", "type": "string", "jsonPath": ".status.member"},
            ],
            ["ws"],
            ["havre"],
        ),
        "sizeprofiles.yaml": _crd(
            "SizeProfile",
            "sizeprofiles",
            SizeProfileSpec,
            None,
            [
                {"name": "Workers", "type": "integer", "jsonPath": ".spec.workers"},
                {"name": "CPU", "type": "string", "jsonPath": ".spec.cpu"},
                {"name": "Memory", "type": "string", "jsonPath": ".spec.memory"},
                {"name": "Storage", "type": "string", "jsonPath": ".spec.storage"},
                {"name": "Description", "type": "string", "jsonPath": ".spec.description"},
            ],
            ["sp"],
            ["havre"],
            _profile_name_rule(),
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


HEADER = "# Generated from operator/havre/api/model/ by `make crds`; do not edit.\n"


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
