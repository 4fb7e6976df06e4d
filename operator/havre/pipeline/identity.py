"""Apply a workspace's identity plan to the identity provider, and take it down on deletion.

Needs a client (an ``IdentityProvider``). Order is fail-closed: every member who must go is
removed from every role group before anything is created or added, and an unknown user,
a failed lookup or a failed creation never stands in the way of a removal already done.
Groups belong to the workspace UID they carry (``havre.io/workspace-uid``): a group of
another UID under the same path is never written to, filled or deleted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from havre.api import names
from havre.errors import HavreError
from havre.external.identity import Group, GroupMember, IdentityProvider
from havre.pipeline.render.identity import WORKSPACE_UID_ATTRIBUTE, GroupPlan, IdentityPlan
from havre.pipeline.status import Check

#: The Workspace condition this step reports.
KIND = "Identity"


class UnknownMember(HavreError):
    """Members the identity provider does not know; the others are in sync.

    Permanent for backoff purposes: the repair timer looks again, and creating the user in
    Keycloak is enough (no change to the Workspace is needed).
    """

    reason = "UnknownMember"

    def __init__(self, users: list[str], changes: list[str]) -> None:
        listed = ", ".join(sorted(users))
        super().__init__(
            f"The identity provider has no user {listed}; the other members are in sync."
        )
        self.users = tuple(sorted(users))
        self.changes = changes


class IdentityGroupConflict(HavreError):
    """A group at the workspace's path belongs to another Workspace UID (never adopted)."""

    reason = "IdentityGroupConflict"


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


def apply_identity(idp: IdentityProvider, plan: IdentityPlan) -> list[str]:
    """Bring the workspace's groups to ``plan``; return what changed, as ``kind/name``
    (``group/<path>``, ``member/<user>@<path>``, a leading ``-`` for a removal).

    Raises ``UnknownMember`` (after syncing everyone else), ``IdentityGroupConflict``, or
    the provider's errors.
    """
    changes: list[str] = []
    workspace = idp.group(plan.workspace_group.path)
    existing: dict[str, Group] = {}
    if workspace is not None:
        _claim(workspace, plan)  # nothing under another UID's group is ours to touch
        existing = {g.path: g for g in idp.children(workspace)}
    roles = {g.path for g in plan.role_groups}
    # A role group carrying another UID (or none): left alone; other subgroups are not ours.
    foreign = [g for p, g in existing.items() if p in roles and not _owned(g, plan.uid)]
    current: dict[str, list[GroupMember]] = {}
    # 1. Removals, in every role group of ours, before anything else.
    for wanted in plan.role_groups:
        group = existing.get(wanted.path)
        if group is None or group in foreign:
            continue
        current[wanted.path] = idp.members(group)
        for member in current[wanted.path]:
            if member.username not in wanted.members:
                idp.remove_member(group, member.id)
                changes.append(f"-member/{member.username}@{wanted.path}")
    if foreign:
        _claim(foreign[0], plan)  # raises, once every removal above is done
    if not plan.enabled:
        return changes
    # 2. Groups and their attributes.
    if workspace is None:
        workspace = _claim(_create(idp, plan, plan.workspace_group, None, changes), plan)
    elif attributes := _drifted(workspace, plan.workspace_group):
        idp.set_attributes(workspace, attributes)
        changes.append(f"group-attributes/{workspace.path}")
    groups: dict[str, Group] = {}
    for wanted in plan.role_groups:
        group = existing.get(wanted.path)
        if group is None:
            group = _claim(_create(idp, plan, wanted, workspace, changes), plan)
        elif attributes := _drifted(group, wanted):
            idp.set_attributes(group, attributes)
            changes.append(f"group-attributes/{group.path}")
        groups[wanted.path] = group
    # 3. Additions.
    unknown: list[str] = []
    ids: dict[str, str | None] = {}
    for wanted in plan.role_groups:
        present = {m.username for m in current.get(wanted.path, [])}
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
        raise UnknownMember(unknown, changes)
    return changes


def _create(
    idp: IdentityProvider,
    plan: IdentityPlan,
    wanted: GroupPlan,
    parent: Group | None,
    changes: list[str],
) -> Group:
    if parent is None:
        root_path = f"/{plan.root}"
        parent = idp.group(root_path) or idp.create_group(None, plan.root, {})
    group = idp.create_group(parent, wanted.name, wanted.attributes)
    changes.append(f"group/{wanted.path}")
    return group


def teardown_identity(idp: IdentityProvider, root: str, workspace: str, uid: str) -> list[str]:
    """Delete the workspace's groups (memberships go with them) if they carry ``uid``; a
    group of another UID is left alone."""
    group = idp.group(names.identity_group(root, workspace))
    if group is None or not _owned(group, uid):
        return []
    return [f"-group/{group.path}"] if idp.delete_group(group) else []


class IdentitySync:
    """Applies plans, and skips the provider for a plan it applied less than
    ``resync_seconds`` ago: membership changes go out at once, while an unchanged
    workspace costs the provider one full read per resync period (drift repair)."""

    def __init__(
        self,
        idp: IdentityProvider,
        resync_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = idp
        self._resync = resync_seconds
        self._clock = clock
        self._applied: dict[str, tuple[IdentityPlan, float]] = {}
        self._lock = threading.Lock()

    def apply(self, plan: IdentityPlan) -> list[str]:
        """``apply_identity`` unless this very plan was applied recently."""
        with self._lock:
            seen = self._applied.get(plan.uid)
        if seen is not None and seen[0] == plan and self._clock() - seen[1] < self._resync:
            return []
        with self._lock:
            self._applied.pop(plan.uid, None)
        changes = apply_identity(self.provider, plan)
        with self._lock:
            self._applied[plan.uid] = (plan, self._clock())
        return changes

    def teardown(self, root: str, workspace: str, uid: str) -> list[str]:
        """``teardown_identity``, forgetting what was applied for ``uid``."""
        with self._lock:
            self._applied.pop(uid, None)
        return teardown_identity(self.provider, root, workspace, uid)

    def forget(self, uid: str) -> None:
        """Read the provider again on the next apply for ``uid``."""
        with self._lock:
            self._applied.pop(uid, None)


def identity_check(sync: IdentitySync, plan: IdentityPlan) -> tuple[Check, list[str], bool]:
    """Run the identity step: its condition, what changed, and whether to retry.

    An unknown member degrades only itself (``Identity`` False, ``Ready`` untouched); a
    provider that does not answer is retried with backoff.
    """
    try:
        changes = sync.apply(plan)
    except UnknownMember as exc:
        return Check(KIND, False, exc.reason, exc.message, blocking=False), exc.changes, False
    except HavreError as exc:
        return Check(KIND, False, exc.reason, exc.message), [], not exc.permanent
    if plan.enabled:
        held = ", ".join(f"{len(g.members)} {g.name}" for g in plan.role_groups)
        message = f"Groups under {plan.workspace_group.path} match the members ({held})."
    else:
        message = f"Groups under {plan.workspace_group.path} hold nobody (suspended or expired)."
    return Check(KIND, True, "Synchronized", message), changes, False
