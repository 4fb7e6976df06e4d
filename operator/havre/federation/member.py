"""Data residency on a member cluster (pure): the second line behind the hub's admission.

The hub sends a member only the datasets held at its provider, and refuses grants that
would move resident data (``residency.py``). A member does not rely on that alone: its
own reconcile (dataset status, grant status, the workspace's validate step) refuses a
dataset it must not open, whoever created the object there. The member knows one fact
about itself, its provider (setting ``federation.provider``); without it (a single
cluster) nothing here applies.

- ``DataResidency``: the dataset must stay at another provider (``spec.residency``).
- ``RemoteDataset``: the dataset is held at another provider (``spec.provider``); this
  member's object store does not hold it, and a bucket of the same name here is someone
  else's data. Reading it from here needs a remote catalog, which does not exist yet
  (docs/federation.md).
"""

from __future__ import annotations

from havre.api.model import ANYWHERE, DatasetSpec
from havre.pipeline.conditions import Check
from havre.settings import Settings

#: Reasons for which a member never opens a dataset.
MEMBER_REASONS = frozenset({"DataResidency", "RemoteDataset"})


def member_provider(settings: Settings) -> str | None:
    """This operator's provider when it runs on a federation's member, else None."""
    federation = settings.federation
    if federation is None or federation.role != "member":
        return None
    return federation.provider


def held_elsewhere(name: str, spec: DatasetSpec, provider: str | None) -> Check | None:
    """Why a member at ``provider`` must not open dataset ``name``, or None when it may."""
    if provider is None:
        return None
    if spec.residency != ANYWHERE and spec.residency != provider:
        return Check(
            "Valid",
            False,
            "DataResidency",
            f"Dataset {name} must stay at provider {spec.residency} (spec.residency); this "
            f"member is at provider {provider} and never opens it.",
        )
    holder = spec.holder
    if holder is not None and holder != provider:
        return Check(
            "Valid",
            False,
            "RemoteDataset",
            f"Dataset {name} is held at provider {holder} (spec.provider); this member, at "
            f"provider {provider}, does not hold it and cannot read it from there yet.",
        )
    return None
