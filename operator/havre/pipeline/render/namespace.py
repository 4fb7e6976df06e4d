"""The workspace's namespace: labelled, PodSecurity ``restricted`` enforced."""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.pipeline.validate import ValidWorkspace

WORKSPACE_LABEL = "havre.io/workspace"


def render_namespace(ws: ValidWorkspace) -> dict[str, Any]:
    return render_namespace_of(ws.name)


def render_namespace_of(workspace: str) -> dict[str, Any]:
    """The namespace by the workspace's name (opened before the spec is validated)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": names.namespace(workspace),
            "labels": {
                WORKSPACE_LABEL: workspace,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }
