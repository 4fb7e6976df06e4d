"""The ``Workspace`` kind: a research project's members, size, lifetime and approval."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import ConfigDict, Field

from havre.api.model.common import PROFILE_PATTERN, USER_PATTERN, SpecModel, cel
from havre.api.model.placement import Placement
from havre.api.model.size import SizeOverrides


class Role(StrEnum):
    """What a member may do in a workspace (see docs/rbac.md)."""

    OWNER = "owner"
    ANALYST = "analyst"
    VIEWER = "viewer"


class DeletionPolicy(StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


class Decision(StrEnum):
    """An approver's answer to a workspace request."""

    APPROVED = "Approved"
    REJECTED = "Rejected"


class Member(SpecModel):
    """A person of the project and what they may do."""

    user: str = Field(
        description="Identity username (Keycloak preferred_username), e.g. alice.martin.",
        pattern=USER_PATTERN,
        max_length=128,
    )
    role: Role = Field(
        description="owner: manages members and size; analyst: queries and writes the "
        "workspace's tables; viewer: reads only."
    )


class Approval(SpecModel):
    """An approver's decision on the workspace request. Only approvers may set or change it
    (admission checks the custom verb ``approve`` on this workspace)."""

    decision: Decision = Field(description="Approved or Rejected.")
    by: str = Field(
        description="API username of the approver who decided (e.g. oidc:carla); admission "
        "requires it to be the user making the change.",
        min_length=1,
        max_length=253,
    )
    reason: str | None = Field(
        default=None, description="Why, in a sentence (optional).", max_length=1000
    )


class WorkspaceSpec(SpecModel):
    """A research project's isolated, time-limited workspace."""

    model_config = ConfigDict(
        **SpecModel.model_config,
        json_schema_extra=cel(
            (
                "!has(oldSelf.approval) || has(self.approval)",
                "spec.approval cannot be removed once decided; an approver sets decision "
                "Rejected to withdraw an approval",
            )
        ),
    )

    title: str = Field(description="Human title of the project.", min_length=1, max_length=200)
    owner: str = Field(
        description="Identity username of the accountable project lead. Immutable.",
        pattern=USER_PATTERN,
        max_length=128,
        json_schema_extra=cel(("self == oldSelf", "owner is immutable")),
    )
    members: list[Member] = Field(
        default_factory=list,
        max_length=100,
        description="People of the project with their role. The owner is always an owner.",
        json_schema_extra={
            **cel(
                (
                    "self.all(m, self.exists_one(n, n.user == m.user))",
                    "each user may appear only once in members",
                )
            ),
            "x-kubernetes-list-type": "atomic",
        },
    )
    size_profile: str = Field(
        default="standard",
        description="Name of the SizeProfile asked for (kubectl get sizeprofiles). Changed "
        "only by approvers once the workspace is approved.",
        pattern=PROFILE_PATTERN,
        max_length=63,
    )
    size: SizeOverrides = Field(
        default_factory=SizeOverrides,
        description="Values that replace the size profile's (each optional). Changed only by "
        "approvers once the workspace is approved.",
    )
    expires: dt.datetime = Field(
        description="End of the legal authorisation (RFC 3339). Access ends then; "
        "must be in the future when the workspace is created. Changed only by approvers "
        "once the workspace is approved."
    )
    suspended: bool = Field(
        default=False,
        description="Disables credentials and query engine; keeps data. Changed only by "
        "approvers once the workspace is approved.",
    )
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.RETAIN,
        description="Retain (default) keeps the bucket and catalog when the workspace is "
        "deleted; Delete removes them. Changed only by approvers once the workspace is approved.",
    )
    approval: Approval | None = Field(
        default=None,
        description="An approver's decision; absent while the request awaits approval. "
        "Nothing exists outside the Workspace object until it is Approved.",
    )
    placement: Placement = Field(
        default_factory=Placement,
        description="Federation: requirements on the member cluster that runs the "
        "workspace. Immutable (a placed workspace never moves).",
        json_schema_extra=cel(("self == oldSelf", "placement is immutable")),
    )
