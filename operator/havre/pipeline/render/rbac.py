"""Who may do what in a workspace: its members, its owners, and the operator itself.

Members are bound, in the namespace only, to the static ClusterRoles of ``crds/
workspace-roles.yaml`` (``havre-ws-viewer|analyst|owner``; see docs/rbac.md). The operator
holds ``bind`` on those names, not their permissions, and renders no Role of its own.
Outside the namespace, the owners get ``update``/``patch`` on this one Workspace (members).

The operator's own rights in the namespace come from the RoleBinding ``havre-operator`` it
renders there (``render_operator_access``): it must be applied right after the namespace and
before anything else, since every other object of the namespace (Secrets included) is
written with the rights it grants.
"""

from __future__ import annotations

from typing import Any

from havre.api import GROUP, names
from havre.api.model import Role
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings

_RBAC = "rbac.authorization.k8s.io"
#: The ClusterRole that the operator binds to itself in each workspace namespace.
OPERATOR_WORKSPACE_ROLE = "havre-operator-workspace"
#: Name of that RoleBinding in each workspace namespace.
OPERATOR_BINDING = "havre-operator"


def member_cluster_role(role: Role) -> str:
    """The static ClusterRole (crds/workspace-roles.yaml) a member of ``role`` is bound to."""
    return f"havre-ws-{role.value}"


def owners_cluster_role_name(workspace: str) -> str:
    return f"havre-ws-{workspace}-owners"


def _subject(user: str, settings: Settings) -> dict[str, str]:
    return {"kind": "User", "apiGroup": _RBAC, "name": f"{settings.username_prefix}{user}"}


def render_operator_access(ws: ValidWorkspace, settings: Settings) -> dict[str, Any]:
    """The RoleBinding giving the operator's service account, in this namespace only, what it
    needs to build the workspace there (ClusterRole havre-operator-workspace)."""
    return render_operator_binding(ws.name, settings)


def render_operator_binding(workspace: str, settings: Settings) -> dict[str, Any]:
    """``render_operator_access`` by the workspace's name (what the pipeline has before it
    validates the spec: the namespace is opened first)."""
    namespace, name = settings.operator_service_account.split("/", 1)
    return {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": OPERATOR_BINDING, "namespace": names.namespace(workspace)},
        "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": OPERATOR_WORKSPACE_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    }


def render_role_bindings(ws: ValidWorkspace, settings: Settings) -> list[dict[str, Any]]:
    """One RoleBinding per member; none once the workspace has expired."""
    if ws.expired:
        return []
    return [
        {
            "apiVersion": f"{_RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": names.role_binding(member.role.value, member.user),
                "namespace": names.namespace(ws.name),
                "labels": {"havre.io/member-role": member.role.value},
            },
            "roleRef": {
                "apiGroup": _RBAC,
                "kind": "ClusterRole",
                "name": member_cluster_role(member.role),
            },
            "subjects": [_subject(member.user, settings)],
        }
        for member in ws.members
    ]


def render_owner_access(ws: ValidWorkspace, settings: Settings) -> list[dict[str, Any]]:
    """A ClusterRole to edit this Workspace only, bound to its owners; no binding once the
    workspace has expired (owners lose access like members)."""
    role = owners_cluster_role_name(ws.name)
    owners = [m for m in ws.members if m.role is Role.OWNER]
    cluster_role = {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": role},
        "rules": [
            {
                "apiGroups": [GROUP],
                "resources": ["workspaces"],
                "resourceNames": [ws.name],
                "verbs": ["get", "update", "patch"],
            }
        ],
    }
    binding = {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": role},
        "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": role},
        "subjects": [_subject(m.user, settings) for m in owners],
    }
    return [cluster_role] if ws.expired else [cluster_role, binding]


def render_service_accounts(ws: ValidWorkspace) -> list[dict[str, Any]]:
    """The identity of the workspace's Trino pods; no API token is mounted."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "trino", "namespace": names.namespace(ws.name)},
            "automountServiceAccountToken": False,
        }
    ]
