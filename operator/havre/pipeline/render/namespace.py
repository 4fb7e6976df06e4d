"""The workspace's namespace: labelled, PodSecurity ``restricted`` enforced."""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.pipeline.validate import ValidWorkspace

WORKSPACE_LABEL = "havre.io/workspace"


def render_namespace(ws: ValidWorkspace) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": names.namespace(ws.name),
            "labels": {
                WORKSPACE_LABEL: ws.name,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }
