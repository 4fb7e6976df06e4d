"""Who holds which role of a workspace now, and the identity-provider groups that say so.

One source of truth: ``access_holders`` derives, from the validated workspace, the people
who may act in it per role — nobody while it is suspended, expired, or its approval is
pending or withdrawn (validate holds such a workspace suspended). The Keycloak groups (this
module's plan), the Trino group file (``trino_access.py``) and the members' own
object-store policies (``member_storage.py``) are all rendered from it.

Group layout (``root`` is a setting, ``havre`` by default)::

    /<root>                         shared parent, no attributes of ours
    /<root>/<workspace>             havre.io/workspace-uid
    /<root>/<workspace>/owner       havre.io/workspace-uid, havre.io/storage-policy
    /<root>/<workspace>/analyst     ...
    /<root>/<workspace>/viewer      ...

Tokens carry full group paths (``/havre/cardio/analyst``): short names would collide across
workspaces. ``havre.io/storage-policy`` names the object-store policy of the role; the
realm's ``storage_policies`` claim aggregates it from the user's groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from havre.api import names
from havre.api.model import Role
from havre.pipeline.validate import ValidWorkspace

WORKSPACE_UID_ATTRIBUTE = names.OWNER_KEY
STORAGE_POLICY_ATTRIBUTE = "havre.io/storage-policy"


def access_holders(ws: ValidWorkspace) -> Mapping[Role, tuple[str, ...]]:
    """Usernames per role (sorted) of the people who may act in the workspace now:
    the owner and members, or nobody while it is not enabled."""
    return {
        role: tuple(sorted(m.user for m in ws.members if m.role is role)) if ws.enabled else ()
        for role in Role
    }


@dataclass(frozen=True)
class GroupPlan:
    """One group as it must be: its path, its attributes, and (for a role) its members."""

    path: str
    attributes: Mapping[str, tuple[str, ...]]
    members: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class IdentityPlan:
    """The workspace's groups in the identity provider.

    ``enabled`` False (suspended, expired, approval withdrawn, spec unreadable): members
    are only removed; no group is created or filled. The groups themselves are kept, so
    access comes back with the workspace.
    """

    workspace: str
    uid: str
    root: str
    workspace_group: GroupPlan
    role_groups: tuple[GroupPlan, ...]
    enabled: bool

    @property
    def usernames(self) -> tuple[str, ...]:
        """Everyone who must be a member of some role group, sorted."""
        return tuple(sorted({u for g in self.role_groups for u in g.members}))


def _plan(
    workspace: str, uid: str, root: str, holders: Mapping[Role, tuple[str, ...]], enabled: bool
) -> IdentityPlan:
    owner = {WORKSPACE_UID_ATTRIBUTE: (uid,)}
    roles = tuple(
        GroupPlan(
            path=names.identity_role_group(root, workspace, role.value),
            attributes={
                **owner,
                STORAGE_POLICY_ATTRIBUTE: (names.member_storage_policy(workspace, role.value),),
            },
            members=holders.get(role, ()),
        )
        for role in Role
    )
    return IdentityPlan(
        workspace=workspace,
        uid=uid,
        root=root,
        workspace_group=GroupPlan(names.identity_group(root, workspace), owner),
        role_groups=roles,
        enabled=enabled,
    )


def render_identity_plan(ws: ValidWorkspace, root: str) -> IdentityPlan:
    """The groups of ``ws`` under ``/<root>``, bound to its UID."""
    return _plan(ws.name, ws.uid, root, access_holders(ws), ws.enabled)


def render_identity_lockdown(workspace: str, uid: str, root: str) -> IdentityPlan:
    """Every role group emptied, nothing created: for a workspace whose spec cannot be read."""
    return _plan(workspace, uid, root, {}, enabled=False)
