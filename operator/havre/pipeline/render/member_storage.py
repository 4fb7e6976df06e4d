"""The object-store policies a member's own temporary credentials get (STS with their token).

A researcher exchanges a Keycloak token for temporary S3 credentials
(``AssumeRoleWithWebIdentity``). MinIO reads the names of the policies to apply from the
token's ``storage_policies`` claim, which Keycloak fills from the
``havre.io/storage-policy`` attribute of the user's role groups (``render/identity.py``).
Each workspace has one such policy per role that has members:

- owner and analyst: the workspace's bucket read-write, like the workspace's own policy;
- viewer: the workspace's bucket read-only;
- every role: each granted dataset read-only (the same statements as the workspace policy,
  so a revoked grant leaves these policies in the same reconcile).

Every statement also requires the caller's ``preferred_username`` claim to be one of the
role's current members (``jwt:preferred_username``). MinIO evaluates the named policy at
each request, so credentials issued before a member was removed stop working as soon as
the policy is rewritten, without waiting for them to expire. A role without members (or a
suspended or expired workspace) has no policy at all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.model import Role
from havre.pipeline.render.identity import access_holders
from havre.pipeline.render.objectstore_policy import (
    POLICY_VERSION,
    DatasetLocation,
    owner_id,
    render_objectstore_policy,
)
from havre.pipeline.validate import ValidWorkspace

#: Condition key of the token's username claim, as MinIO exposes it to policies.
USERNAME_KEY = "jwt:preferred_username"
#: What a viewer may do on the workspace's bucket: locate, list, read current objects.
VIEWER_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")
VIEWER_OBJECT_ACTIONS = ("s3:GetObject",)
_WORKSPACE_SIDS = frozenset({"WorkspaceBucket", "WorkspaceObjects"})


@dataclass(frozen=True)
class MemberPolicy:
    """One role's policy: its name, and its document (None: the policy must not exist)."""

    name: str
    role: Role
    document: dict[str, Any] | None


def _read_only(statement: dict[str, Any]) -> dict[str, Any]:
    actions = (
        VIEWER_BUCKET_ACTIONS if statement["Sid"] == "WorkspaceBucket" else VIEWER_OBJECT_ACTIONS
    )
    return {**statement, "Action": list(actions)}


def render_member_policy(
    bucket: str,
    datasets: Iterable[DatasetLocation],
    role: Role,
    users: Iterable[str],
    owner: str = "",
) -> dict[str, Any]:
    """The policy of ``role`` for exactly ``users`` (non-empty), recording the ``owner``
    Workspace UID in its ``ID`` like the workspace's own policy."""
    allowed = sorted(set(users))
    if not allowed:
        raise ValueError("a member policy needs at least one user")
    base = render_objectstore_policy(bucket, datasets)
    statements = []
    for statement in copy.deepcopy(base["Statement"]):
        if role is Role.VIEWER and statement["Sid"] in _WORKSPACE_SIDS:
            statement = _read_only(statement)
        conditions = statement.setdefault("Condition", {})
        conditions.setdefault("StringEquals", {})[USERNAME_KEY] = allowed
        statements.append(statement)
    document: dict[str, Any] = {"Version": POLICY_VERSION, "Statement": statements}
    return {"ID": owner_id(owner), **document} if owner else document


def render_member_policies(
    ws: ValidWorkspace, datasets: Iterable[DatasetLocation]
) -> tuple[MemberPolicy, ...]:
    """One entry per role, in role order; ``document`` None where the role holds nobody."""
    datasets = tuple(datasets)
    holders = access_holders(ws)
    bucket = names.bucket(ws.name)
    return tuple(
        MemberPolicy(
            name=names.member_storage_policy(ws.name, role.value),
            role=role,
            document=render_member_policy(bucket, datasets, role, holders[role], ws.uid)
            if holders[role]
            else None,
        )
        for role in Role
    )


def render_member_lockdown(workspace: str) -> tuple[MemberPolicy, ...]:
    """Every role's policy removed: for a workspace whose spec cannot be read."""
    return tuple(
        MemberPolicy(names.member_storage_policy(workspace, role.value), role, None)
        for role in Role
    )
