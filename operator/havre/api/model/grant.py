"""The ``DatasetGrant`` kind: a steward's decision that one workspace may read one dataset."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from havre.api.model.common import LEGAL_BASIS_PATTERN, NAME_MAX, NAME_PATTERN, SpecModel, cel


class DatasetGrantSpec(SpecModel):
    """A steward's decision: a workspace may read a dataset, under a legal basis, until a date."""

    workspace: str = Field(
        description="Name of the Workspace granted access. Immutable.",
        pattern=NAME_PATTERN,
        max_length=NAME_MAX,
        json_schema_extra=cel(("self == oldSelf", "workspace is immutable")),
    )
    dataset: str = Field(
        description="Name of the Dataset. Immutable.",
        pattern=NAME_PATTERN,
        max_length=NAME_MAX,
        json_schema_extra=cel(("self == oldSelf", "dataset is immutable")),
    )
    legal_basis: str = Field(
        description="Legal basis of the access, e.g. the CNIL authorisation number or "
        "'MR-004'. Immutable.",
        pattern=LEGAL_BASIS_PATTERN,
        max_length=200,
        json_schema_extra=cel(("self == oldSelf", "legalBasis is immutable")),
    )
    expires: dt.datetime = Field(
        description="End of the access (RFC 3339); access is withdrawn at that moment."
    )
