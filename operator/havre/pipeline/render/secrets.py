"""Secrets a workspace's workloads read: credentials issued once and kept."""

from __future__ import annotations

import base64
from typing import Any

from havre.api import names

STORAGE_SECRET = "havre-storage"  # noqa: S105 - a Secret's name
CATALOG_SECRET = "havre-catalog"  # noqa: S105 - a Secret's name


def render_secret(workspace: str, name: str, values: dict[str, str]) -> dict[str, Any]:
    """A Secret in the workspace's namespace. ``data`` (not ``stringData``) so the live
    object compares equal to the rendered one and an idle operator writes nothing."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": names.namespace(workspace)},
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())},
    }


def decode_secret(secret: dict[str, Any] | None) -> dict[str, str]:
    """The values of a Secret read from the API server (empty when it does not exist)."""
    if secret is None:
        return {}
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
