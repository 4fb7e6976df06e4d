"""The workspace in the identity provider: removals first, then what is granted; and teardown.

Needs a client (an ``IdentityProvider``). Two phases, like the other systems (apply.py):

1. ``revoke_identity``: read the workspace's groups, take every member who must go out of
   every role group of ours; an unknown user, a failed lookup or a failed creation can
   never stand in the way of a removal, since nothing is created or looked up before;
2. ``provision_identity``: create the groups (with their attributes), add the members.

Groups belong to the workspace UID they carry (``havre.io/workspace-uid``): a group of
another UID under the same path is never written to, filled or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from havre.api import names
from havre.errors import HavreError
from havre.external.identity import Group, GroupMember, IdentityProvider
from havre.pipeline.render.identity import WORKSPACE_UID_ATTRIBUTE, GroupPlan, IdentityPlan


class UnknownMember(HavreError):
    """Members the identity provider does not know; the others are in sync.

    Permanent for backoff purposes: the repair timer looks again, and creating the user in
    Keycloak is enough (no change to the Workspace is needed).
    """

    reason = "UnknownMember"

    def __init__(self, users: list[str]) -> None:
        listed = ", ".join(sorted(users))
        super().__init__(
            f"The identity provider has no user {listed}; the other members are in sync."
        )
        self.users = tuple(sorted(users))


class IdentityGroupConflict(HavreError):
    """A group at the workspace's path belongs to another Workspace UID (never adopted)."""

    reason = "IdentityGroupConflict"


@dataclass(frozen=True)
class IdentityClaim:
    """What the first phase read: the workspace's groups (ours) and their members."""

    workspace: Group | None = None
    #: Role groups of ours, by path.
    groups: Mapping[str, Group] = field(default_factory=dict)
    #: Their members after the removals, by path.
    members: Mapping[str, tuple[GroupMember, ...]] = field(default_factory=dict)
    #: True when this very plan was applied recently: nothing to ask the provider.
    skip: bool = False


def _owned(group: Group, uid: str) -> bool:
    return group.attributes.get(WORKSPACE_UID_ATTRIBUTE) == (uid,)


def _claim(group: Group, plan: IdentityPlan) -> Group:
    if not _owned(group, plan.uid):
        found = ",".join(group.attributes.get(WORKSPACE_UID_ATTRIBUTE, ())) or "none"
        raise IdentityGroupConflict(
            f"group {group.path} belongs to workspace UID {found}, not {plan.uid}; "
            "an administrator must delete it before this workspace can use the name"
        )
    return group


def _drifted(group: Group, wanted: GroupPlan) -> dict[str, tuple[str, ...]] | None:
    """The attributes to write when ours differ (an admin's own attributes are kept)."""
    if all(group.attributes.get(k) == v for k, v in wanted.attributes.items()):
        return None
    return {**group.attributes, **wanted.attributes}


def revoke_identity(idp: IdentityProvider, plan: IdentityPlan, changes: list[str]) -> IdentityClaim:
    """Phase one: remove from each role group of ours whoever the plan does not hold.

    Changes are recorded as ``-member/<user>@<path>``. Raises ``IdentityGroupConflict``
    (after every removal it could make) or the provider's errors.
    """
    workspace = idp.group(plan.workspace_group.path)
    if workspace is None:
        return IdentityClaim()
    _claim(workspace, plan)  # nothing under another UID's group is ours to touch
    children = {g.path: g for g in idp.children(workspace)}
    groups: dict[str, Group] = {}
    members: dict[str, tuple[GroupMember, ...]] = {}
    foreign: list[Group] = []
    for wanted in plan.role_groups:
        group = children.get(wanted.path)
        if group is None:
            continue
        if not _owned(group, plan.uid):
            foreign.append(group)  # another UID's (or nobody's): left alone
            continue
        kept = []
        for member in idp.members(group):
            if member.username in wanted.members:
                kept.append(member)
                continue
            idp.remove_member(group, member.id)
            changes.append(f"-member/{member.username}@{wanted.path}")
        groups[wanted.path], members[wanted.path] = group, tuple(kept)
    if foreign:
        _claim(foreign[0], plan)  # raises, once every removal above is done
    return IdentityClaim(workspace, groups, members)


def provision_identity(
    idp: IdentityProvider, plan: IdentityPlan, claimed: IdentityClaim, changes: list[str]
) -> None:
    """Phase two: groups and their attributes, then the members; nothing while the plan is
    not enabled. Raises ``UnknownMember`` once everyone else is in."""
    if not plan.enabled or claimed.skip:
        return
    workspace = claimed.workspace
    if workspace is None:
        workspace = _claim(_create(idp, plan, plan.workspace_group, None, changes), plan)
    elif attributes := _drifted(workspace, plan.workspace_group):
        idp.set_attributes(workspace, attributes)
        changes.append(f"group-attributes/{workspace.path}")
    groups: dict[str, Group] = {}
    for wanted in plan.role_groups:
        group = claimed.groups.get(wanted.path)
        if group is None:
            group = _claim(_create(idp, plan, wanted, workspace, changes), plan)
        elif attributes := _drifted(group, wanted):
            idp.set_attributes(group, attributes)
            changes.append(f"group-attributes/{group.path}")
        groups[wanted.path] = group
    unknown: list[str] = []
    ids: dict[str, str | None] = {}
    for wanted in plan.role_groups:
        present = {m.username for m in claimed.members.get(wanted.path, ())}
        for user in wanted.members:
            if user in present:
                continue
            if user not in ids:
                ids[user] = idp.user_id(user)
            user_id = ids[user]
            if user_id is None:
                unknown.append(user)
                continue
            idp.add_member(groups[wanted.path], user_id)
            changes.append(f"member/{user}@{wanted.path}")
    if unknown:
        raise UnknownMember(sorted(set(unknown)))


def _create(
    idp: IdentityProvider,
    plan: IdentityPlan,
    wanted: GroupPlan,
    parent: Group | None,
    changes: list[str],
) -> Group:
    if parent is None:
        parent = idp.group(f"/{plan.root}") or idp.create_group(None, plan.root, {})
    group = idp.create_group(parent, wanted.name, wanted.attributes)
    changes.append(f"group/{wanted.path}")
    return group


def teardown_identity(idp: IdentityProvider, root: str, workspace: str, uid: str) -> list[str]:
    """Delete the workspace's groups (memberships go with them) if they carry ``uid``,
    whatever the deletion policy: groups hold access, not data. A group of another UID is
    left alone."""
    group = idp.group(names.identity_group(root, workspace))
    if group is None or not _owned(group, uid):
        return []
    return [f"-group/{group.path}"] if idp.delete_group(group) else []
