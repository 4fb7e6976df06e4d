"""What every kind of the API shares: name and path patterns, the spec base, CEL rules."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from havre.api import names

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


class SpecModel(BaseModel):
    """Base of every spec: unknown fields refused, immutable, camelCase in the API."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def cel(*rules: tuple[str, str]) -> dict[str, Any]:
    """CEL validation rules ``(rule, message)`` for a field's or model's CRD schema."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules]}
