"""Typed status of the ``havre.io/v1alpha1`` kinds (Kubernetes API conventions)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Status(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(_Status):
    """One aspect of the object's state; ``Ready`` summarises them all."""

    type: str = Field(description="Ready, or the subsystem: Namespace, Access, ...")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(description="One CamelCase word, also used as the Event reason.")
    message: str = Field(description="What a person needs to know, in a sentence.")
    last_transition_time: dt.datetime = Field(description="When status last changed.")
    observed_generation: int = Field(ge=0, description="The spec generation it reflects.")


class Endpoints(_Status):
    trino: str | None = Field(default=None, description="Trino URL (HTTPS).")
    trino_external: str | None = Field(
        default=None, description="Trino URL from outside the cluster, through its route."
    )
    s3: str | None = Field(default=None, description="Object store endpoint.")
    bucket: str | None = Field(default=None, description="The workspace's bucket.")


class ActiveGrant(_Status):
    name: str = Field(description="The DatasetGrant.")
    dataset: str = Field(description="The Dataset it grants.")
    legal_basis: str = Field(description="Legal basis of the access.")
    expires: dt.datetime = Field(description="When the access ends.")


class WorkspaceStatus(_Status):
    observed_generation: int | None = Field(default=None, description="Last reconciled spec.")
    conditions: list[Condition] = Field(default_factory=list, description="Current state.")
    namespace: str | None = Field(default=None, description="The workspace's namespace.")
    endpoints: Endpoints | None = Field(default=None, description="Where to connect.")
    grants: list[ActiveGrant] = Field(default_factory=list, description="Datasets readable now.")
    member: str | None = Field(
        default=None, description="Federation (hub only): the member cluster running it."
    )


class GrantStatus(_Status):
    observed_generation: int | None = Field(default=None, description="Last reconciled spec.")
    conditions: list[Condition] = Field(default_factory=list, description="Current state.")
    workspace_uid: str | None = Field(
        default=None,
        alias="workspaceUID",
        description="UID of the Workspace the grant attached to; it never opens data to "
        "another object of the same name.",
    )
    dataset_uid: str | None = Field(
        default=None, alias="datasetUID", description="UID of the Dataset it attached to."
    )


class DatasetStatus(_Status):
    observed_generation: int | None = Field(default=None, description="Last reconciled spec.")
    conditions: list[Condition] = Field(default_factory=list, description="Current state.")
    granted_to: list[str] = Field(
        default_factory=list, description="Workspaces holding a grant of it in force now."
    )
