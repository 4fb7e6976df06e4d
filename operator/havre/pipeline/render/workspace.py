"""Everything a workspace gets inside the cluster, in apply order."""

from __future__ import annotations

from typing import Any

from havre.pipeline.render.namespace import render_namespace
from havre.pipeline.render.network import render_network_policies
from havre.pipeline.render.quota import render_limit_range, render_quota
from havre.pipeline.render.rbac import (
    render_operator_access,
    render_owner_access,
    render_role_bindings,
    render_service_accounts,
)
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings


def render_workspace(ws: ValidWorkspace, settings: Settings) -> list[dict[str, Any]]:
    """The namespace first (the rest lives in it), then the operator's own rights in it (the
    rest is written with them), then isolation, then access."""
    return [
        render_namespace(ws),
        render_operator_access(ws, settings),
        render_quota(ws, settings),
        render_limit_range(ws),
        *render_network_policies(ws, settings),
        *render_service_accounts(ws),
        *render_role_bindings(ws, settings),
        *render_owner_access(ws, settings),
    ]
