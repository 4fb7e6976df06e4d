"""JSON schemas for kubeconform, offline: Kubernetes' own from the ``kubernetes-validate``
wheel, and those of CRDs generated from the CRDs themselves.

The wheel's schemas carry an ``$id`` and refer to ``/api/_definitions.json``, an address
only its own loader knows; kubeconform resolves references against the file it read, so
each file loses its ``$id`` and refers to ``_definitions.json`` beside it.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Kubernetes minor version of the schemas (the local control plane runs 1.34).
KUBE_SCHEMA_VERSION = "v1.34.0"
_WHEEL_REF = "/api/_definitions.json#"


def wheel_schemas() -> Path:
    """The strict schemas of ``KUBE_SCHEMA_VERSION`` inside the installed wheel."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the kubernetes-validate package is not installed")
    root = Path(spec.origin).parent / "kubernetes-json-schema"
    folder = root / f"{KUBE_SCHEMA_VERSION}-local-strict"
    if not folder.is_dir():
        raise FileNotFoundError(f"kubernetes-validate has no {folder.name} schemas")
    return folder


def _relative(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace(_WHEEL_REF, "_definitions.json#")
                if k == "$ref" and isinstance(v, str)
                else _relative(v)
            )
            for k, v in node.items()
            if not (k == "$id" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_relative(item) for item in node]
    return node


def bundle_kubernetes(source: Path, target: Path) -> int:
    """Write every schema of ``source`` into ``target`` with relative references; the count."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.glob("*.json")):
        schema = _relative(json.loads(path.read_text()))
        (target / path.name).write_text(json.dumps(schema))
        count += 1
    return count


def _strict(node: Any) -> Any:
    """Objects with declared properties accept nothing else, as the API server prunes
    (and kubeconform -strict reports) unknown fields; preserved ones stay open."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def crd_schema_name(kind: str, group: str, version: str) -> str:
    """The file name kubeconform's ``{{.ResourceKind}}{{.KindSuffix}}.json`` expands to."""
    return f"{kind.lower()}-{group.split('.')[0]}-{version}.json"


def write_crd_schemas(crds: Iterable[dict[str, Any]], target: Path) -> list[str]:
    """One strict JSON schema per served version of each CRD; the file names written."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for crd in crds:
        spec = crd["spec"]
        for version in spec["versions"]:
            schema = dict(version["schema"]["openAPIV3Schema"])
            api_version = f"{spec['group']}/{version['name']}"
            properties = dict(schema.get("properties", {}))
            properties["apiVersion"] = {"type": "string", "enum": [api_version]}
            properties["kind"] = {"type": "string", "enum": [spec["names"]["kind"]]}
            properties.setdefault("metadata", {"type": "object"})
            schema["properties"] = properties
            name = crd_schema_name(spec["names"]["kind"], spec["group"], version["name"])
            (target / name).write_text(json.dumps(_strict(schema)))
            written.append(name)
    return written
