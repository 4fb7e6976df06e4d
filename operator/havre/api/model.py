"""Typed specs of the ``havre.io/v1alpha1`` kinds.

These models are the single source of the CRD schemas (``havre.api.crdgen`` renders
``crds/`` from them), so every description and validation rule lives here once. The
operator parses every object it reads into them; parsing can fail only for what the API
server could not check itself (it validates the same schema at admission).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

from havre.api import names
from havre.api.quantity import QUANTITY_PATTERN, parse_quantity

# Object names become namespaces, buckets, database and group names (see names.py):
# 40 characters, lowercase letters, digits and single hyphens keep every derived name valid.
NAME_PATTERN = r"^[a-z]([a-z0-9]|-[a-z0-9]){0,39}$"
NAME_MAX = 40


def is_valid_name(name: str) -> bool:
    """What the CRDs admit as a Workspace, Dataset or DatasetGrant name (the pattern alone
    would allow 79 characters; the length bound is a separate rule)."""
    return len(name) <= NAME_MAX and re.fullmatch(NAME_PATTERN, name) is not None


USER_PATTERN = r"^[a-z0-9]([a-z0-9._@-]{0,126}[a-z0-9])?$"
BUCKET_PATTERN = r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){2,62}$"
#: A SizeProfile's name (a cluster-scoped object, so a DNS label).
PROFILE_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
#: Buckets of workspaces; a Dataset may never point into one.
WORKSPACE_BUCKET_PREFIX = names.PREFIX
# A dataset prefix is a plain relative path: segments of safe characters, no "..", no
# wildcards or quotes, so it can never widen the policy statements built from it.
PREFIX_PATTERN = r"^([a-z0-9][a-z0-9_-]{0,62}/){0,7}[a-z0-9][a-z0-9_-]{0,62}$"
LEGAL_BASIS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 .,;_:/()'°#-]{0,199}$"


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


class Sensitivity(StrEnum):
    OPEN = "open"
    PSEUDONYMISED = "pseudonymised"
    SENSITIVE = "sensitive"


class _Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def _cel(*rules: tuple[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules]}


def _quantity_between(low: str, high: str) -> Any:
    def check(value: str) -> str:
        if not parse_quantity(low) <= parse_quantity(value) <= parse_quantity(high):
            raise ValueError(f"must be between {low} and {high}")
        return value

    return AfterValidator(check)


def _quantity_between_optional(low: str, high: str) -> Any:
    inner = _quantity_between(low, high).func

    def check(value: str | None) -> str | None:
        return None if value is None else inner(value)

    return AfterValidator(check)


def _bounded_quantity(low: str, high: str, description: str, default: str | None) -> Any:
    return Field(
        default=default,
        description=f"{description} Between {low} and {high}.",
        pattern=QUANTITY_PATTERN,
        max_length=20,
        json_schema_extra=_cel(
            (
                f"quantity(self).compareTo(quantity('{low}')) >= 0 && "
                f"quantity(self).compareTo(quantity('{high}')) <= 0",
                f"must be between {low} and {high}",
            )
        ),
    )


class Member(_Spec):
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


class Size(_Spec):
    """Resources of the workspace: Trino nodes and the storage quota."""

    workers: int = Field(default=1, ge=0, le=32, description="Trino workers (0 to 32).")
    cpu: Annotated[str, _quantity_between("500m", "64")] = _bounded_quantity(
        "500m", "64", "CPU of each Trino node (coordinator and workers).", "2"
    )
    memory: Annotated[str, _quantity_between("1Gi", "512Gi")] = _bounded_quantity(
        "1Gi", "512Gi", "Memory of each Trino node.", "4Gi"
    )
    storage: Annotated[str, _quantity_between("1Mi", "100Ti")] = _bounded_quantity(
        "1Mi", "100Ti", "Hard quota of the workspace's bucket.", "50Gi"
    )


class SizeOverrides(_Spec):
    """Fields that replace the size profile's; a field left out keeps the profile's value."""

    workers: int | None = Field(default=None, ge=0, le=32, description="Trino workers (0 to 32).")
    cpu: Annotated[str | None, _quantity_between_optional("500m", "64")] = _bounded_quantity(
        "500m", "64", "CPU of each Trino node (coordinator and workers).", None
    )
    memory: Annotated[str | None, _quantity_between_optional("1Gi", "512Gi")] = _bounded_quantity(
        "1Gi", "512Gi", "Memory of each Trino node.", None
    )
    storage: Annotated[str | None, _quantity_between_optional("1Mi", "100Ti")] = _bounded_quantity(
        "1Mi", "100Ti", "Hard quota of the workspace's bucket.", None
    )


def resolve_size(profile: Size, overrides: SizeOverrides) -> Size:
    """The effective size: the profile's values, replaced by each override that is set."""
    values = {name: getattr(profile, name) for name in Size.model_fields}
    return Size(**{**values, **overrides.model_dump(exclude_none=True)})


class SizeProfileSpec(Size):
    """A size a researcher may ask for by name (like a StorageClass); admins define them."""

    description: str = Field(
        description="What the profile is for, shown to researchers.", min_length=1, max_length=200
    )


class Approval(_Spec):
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


# --- Federation (placement on member clusters, dataset residency) -------------------------
# A provider or region name is a Kubernetes label value of the member clusters
# (havre.io/provider, havre.io/region), so it follows the label value format.
LOCATION_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
ANYWHERE = "anywhere"


class Certification(StrEnum):
    """A hosting certification a member cluster holds (label havre.io/<name>: "true")."""

    HDS = "hds"
    SECNUMCLOUD = "secnumcloud"


Location = Annotated[str, StringConstraints(pattern=LOCATION_PATTERN, max_length=63)]


def _locations(what: str) -> Any:
    return Field(
        default_factory=list,
        max_length=20,
        description=f"Allowed {what} (any of them); empty: any.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )


class Placement(_Spec):
    """Where a federated platform may run the workspace; the hub picks exactly one member
    that satisfies every requirement, and never moves the workspace afterwards."""

    certifications: list[Certification] = Field(
        default_factory=list,
        max_length=2,
        description="Certifications the member must hold: hds, secnumcloud (all of them).",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    providers: list[Location] = _locations("providers")
    regions: list[Location] = _locations("regions")


class WorkspaceSpec(_Spec):
    """A research project's isolated, time-limited workspace."""

    model_config = ConfigDict(
        **_Spec.model_config,
        json_schema_extra=_cel(
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
        json_schema_extra=_cel(("self == oldSelf", "owner is immutable")),
    )
    members: list[Member] = Field(
        default_factory=list,
        max_length=100,
        description="People of the project with their role. The owner is always an owner.",
        json_schema_extra={
            **_cel(
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
        json_schema_extra=_cel(("self == oldSelf", "placement is immutable")),
    )


_RESIDENCY_RULE = (
    f"self.residency == '{ANYWHERE}' || !has(self.provider) || self.provider == self.residency",
    "residency must be 'anywhere' or the provider that holds the data",
)


class DatasetSpec(_Spec):
    """A curated, read-only source published by a data steward."""

    model_config = ConfigDict(**_Spec.model_config, json_schema_extra=_cel(_RESIDENCY_RULE))

    title: str = Field(description="Human title of the dataset.", min_length=1, max_length=200)
    bucket: str = Field(
        description="Bucket on the platform object store holding the dataset; never a "
        f"workspace's bucket ({WORKSPACE_BUCKET_PREFIX}...). Immutable.",
        pattern=BUCKET_PATTERN,
        max_length=63,
        json_schema_extra=_cel(
            ("self == oldSelf", "bucket is immutable"),
            (
                f"!self.startsWith('{WORKSPACE_BUCKET_PREFIX}')",
                f"bucket may not start with '{WORKSPACE_BUCKET_PREFIX}': those buckets belong "
                "to workspaces",
            ),
        ),
    )
    prefix: str = Field(
        description="Path of the dataset in its bucket (relative, no '..', no wildcards). "
        "Immutable.",
        pattern=PREFIX_PATTERN,
        max_length=512,
        json_schema_extra=_cel(("self == oldSelf", "prefix is immutable")),
    )
    iceberg_namespace: str = Field(
        description="Iceberg namespace (schema) of the dataset's tables.",
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        max_length=63,
    )
    sensitivity: Sensitivity = Field(
        default=Sensitivity.PSEUDONYMISED, description="open, pseudonymised or sensitive."
    )
    steward: str = Field(
        description="Identity username of the responsible data steward.",
        pattern=USER_PATTERN,
        max_length=128,
    )
    provider: str | None = Field(
        default=None,
        description="Federation: the provider whose object store holds the data (its member "
        "clusters' havre.io/provider label). Immutable.",
        pattern=LOCATION_PATTERN,
        max_length=63,
        json_schema_extra=_cel(("self == oldSelf", "provider is immutable")),
    )
    residency: str = Field(
        default=ANYWHERE,
        description="Federation: 'anywhere' (a workspace at any provider may be granted it "
        "and reads it remotely) or the provider it must never leave (only workspaces placed "
        "at that provider may be granted it). Immutable.",
        pattern=LOCATION_PATTERN,
        max_length=63,
        json_schema_extra=_cel(("self == oldSelf", "residency is immutable")),
    )

    @model_validator(mode="after")
    def _resident_where_held(self) -> DatasetSpec:
        if self.residency != ANYWHERE and self.provider not in (None, self.residency):
            raise ValueError(_RESIDENCY_RULE[1])
        return self

    @property
    def holder(self) -> str | None:
        """The provider holding the data: ``provider``, else a resident dataset's provider."""
        if self.provider is not None:
            return self.provider
        return None if self.residency == ANYWHERE else self.residency


class DatasetGrantSpec(_Spec):
    """A steward's decision: a workspace may read a dataset, under a legal basis, until a date."""

    workspace: str = Field(
        description="Name of the Workspace granted access. Immutable.",
        pattern=NAME_PATTERN,
        max_length=NAME_MAX,
        json_schema_extra=_cel(("self == oldSelf", "workspace is immutable")),
    )
    dataset: str = Field(
        description="Name of the Dataset. Immutable.",
        pattern=NAME_PATTERN,
        max_length=NAME_MAX,
        json_schema_extra=_cel(("self == oldSelf", "dataset is immutable")),
    )
    legal_basis: str = Field(
        description="Legal basis of the access, e.g. the CNIL authorisation number or "
        "'MR-004'. Immutable.",
        pattern=LEGAL_BASIS_PATTERN,
        max_length=200,
        json_schema_extra=_cel(("self == oldSelf", "legalBasis is immutable")),
    )
    expires: dt.datetime = Field(
        description="End of the access (RFC 3339); access is withdrawn at that moment."
    )
