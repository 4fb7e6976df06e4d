"""The ``Dataset`` kind: a steward's curated, read-only source and where it may be read."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from havre.api.model.common import (
    BUCKET_PATTERN,
    PREFIX_PATTERN,
    USER_PATTERN,
    WORKSPACE_BUCKET_PREFIX,
    SpecModel,
    cel,
)
from havre.api.model.placement import ANYWHERE, LOCATION_PATTERN


class Sensitivity(StrEnum):
    OPEN = "open"
    PSEUDONYMISED = "pseudonymised"
    SENSITIVE = "sensitive"


_RESIDENCY_RULE = (
    f"self.residency == '{ANYWHERE}' || !has(self.provider) || self.provider == self.residency",
    "residency must be 'anywhere' or the provider that holds the data",
)


class DatasetSpec(SpecModel):
    """A curated, read-only source published by a data steward."""

    model_config = ConfigDict(**SpecModel.model_config, json_schema_extra=cel(_RESIDENCY_RULE))

    title: str = Field(description="Human title of the dataset.", min_length=1, max_length=200)
    bucket: str = Field(
        description="Bucket on the platform object store holding the dataset; never a "
        f"workspace's bucket ({WORKSPACE_BUCKET_PREFIX}...). Immutable.",
        pattern=BUCKET_PATTERN,
        max_length=63,
        json_schema_extra=cel(
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
        json_schema_extra=cel(("self == oldSelf", "prefix is immutable")),
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
        json_schema_extra=cel(("self == oldSelf", "provider is immutable")),
    )
    residency: str = Field(
        default=ANYWHERE,
        description="Federation: 'anywhere' (a workspace at any provider may be granted it "
        "and reads it remotely) or the provider it must never leave (only workspaces placed "
        "at that provider may be granted it). Immutable.",
        pattern=LOCATION_PATTERN,
        max_length=63,
        json_schema_extra=cel(("self == oldSelf", "residency is immutable")),
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
