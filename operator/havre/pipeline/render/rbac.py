"""Roles of a workspace's members, and who may edit the Workspace object itself.

In the namespace (see docs/rbac.md):
- viewer: read the namespace's workloads, services, config maps, events and quota;
- analyst: viewer, plus port-forward to Trino;
- owner: analyst, plus restarting (deleting) pods.
Nobody is given Secrets, exec, or the right to create workloads: a pod that mounts the
workspace's credentials would read them. Only the operator writes in the namespace.
Outside it, the owners get ``update``/``patch`` on this one Workspace (members, size).
"""

from __future__ import annotations

from typing import Any

from havre.api import GROUP, names
from havre.api.model import Role
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings

_READ = ["get", "list", "watch"]
_VIEW_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "pods/log",
            "services",
            "endpoints",
            "configmaps",
            "events",
            "resourcequotas",
            "limitranges",
            "serviceaccounts",
        ],
        "verbs": _READ,
    },
    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": _READ},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _READ},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": _READ},
]
_ANALYST_RULES = [
    *_VIEW_RULES,
    {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]},
]
_OWNER_RULES = [*_ANALYST_RULES, {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]
RULES: dict[Role, list[dict[str, Any]]] = {
    Role.VIEWER: _VIEW_RULES,
    Role.ANALYST: _ANALYST_RULES,
    Role.OWNER: _OWNER_RULES,
}


def role_name(role: Role) -> str:
    return f"havre-{role.value}"


def owners_cluster_role_name(workspace: str) -> str:
    return f"havre-ws-{workspace}-owners"


def _subject(user: str, settings: Settings) -> dict[str, str]:
    return {
        "kind": "User",
        "apiGroup": "rbac.authorization.k8s.io",
        "name": f"{settings.username_prefix}{user}",
    }


def render_roles(ws: ValidWorkspace) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": role_name(role), "namespace": names.namespace(ws.name)},
            "rules": RULES[role],
        }
        for role in Role
    ]


def render_role_bindings(ws: ValidWorkspace, settings: Settings) -> list[dict[str, Any]]:
    """One RoleBinding per member; none once the workspace has expired."""
    if ws.expired:
        return []
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": names.role_binding(member.role.value, member.user),
                "namespace": names.namespace(ws.name),
                "labels": {"havre.io/member-role": member.role.value},
            },
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": role_name(member.role),
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
        "apiVersion": "rbac.authorization.k8s.io/v1",
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
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": role},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
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
