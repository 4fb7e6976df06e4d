"""Whether a Dataset may be granted at all: pure rules shared by the Dataset controller
(its status) and by every workspace reconcile (which grants it renders).

A dataset is refused, with its own reason, when
- its spec does not parse (``InvalidDataset``);
- its Trino catalog name (the name with ``_`` for ``-``) is one Trino or Havre uses
  (``ReservedName``): the catalog would shadow or be shadowed by another;
- it lies in a workspace bucket (``ws-…``, ``InvalidLocation``): granting it would open a
  project's own files, read-write by that project, to another;
- its prefix overlaps the prefix of a dataset declared earlier in the same bucket
  (``OverlappingLocation``): a grant of one would open part of the other. The earlier
  dataset (by creation time, then name) keeps its location, so a new dataset can never
  take a location away from one already granted.

On a federation's member (``provider`` given), also when the dataset is held at, or must
stay at, another provider (``DataResidency``, ``RemoteDataset``: federation/member.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from havre.api import names
from havre.api.model import BUCKET_PATTERN, PREFIX_PATTERN
from havre.federation.member import MEMBER_REASONS, held_elsewhere
from havre.pipeline.conditions import Check
from havre.pipeline.records import DatasetRecord

#: Reasons for which a dataset can never be granted until it is fixed.
INVALID_REASONS = (
    frozenset({"InvalidDataset", "ReservedName", "InvalidLocation", "OverlappingLocation"})
    | MEMBER_REASONS
)


def _overlaps(a: str, b: str) -> bool:
    """Prefixes are paths: ``snds`` overlaps ``snds/2023`` but not ``snds-2``."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _earlier(a: DatasetRecord, b: DatasetRecord) -> bool:
    return (a.created, a.name) < (b.created, b.name)


def dataset_problem(
    dataset: DatasetRecord, peers: Iterable[DatasetRecord], provider: str | None = None
) -> Check | None:
    """Why ``dataset`` cannot be granted, as a failed ``Valid`` check, or None when it can.
    ``peers``: the other datasets of its bucket (the record itself may be among them);
    ``provider``: this member's provider in a federation (None: a single cluster)."""
    spec = dataset.spec
    if spec is None:
        return Check("Valid", False, "InvalidDataset", dataset.spec_problem or "invalid spec")
    elsewhere = held_elsewhere(dataset.name, spec, provider)
    if elsewhere is not None:
        return elsewhere
    catalog = names.catalog(dataset.name)
    if catalog in names.RESERVED_CATALOGS:
        return Check(
            "Valid",
            False,
            "ReservedName",
            f"Dataset {dataset.name} would be the Trino catalog {catalog}, a name reserved "
            f"for Trino or Havre ({', '.join(sorted(names.RESERVED_CATALOGS))}); publish it under "
            "another name.",
        )
    # The schema checks both patterns; fullmatch again, for the policy they end up in.
    if not (
        re.fullmatch(BUCKET_PATTERN, spec.bucket) and re.fullmatch(PREFIX_PATTERN, spec.prefix)
    ):
        return Check("Valid", False, "InvalidLocation", f"Dataset {dataset.name}: bad location")
    if spec.bucket.startswith(names.PREFIX):
        return Check(
            "Valid",
            False,
            "InvalidLocation",
            f"Dataset {dataset.name} lies in bucket {spec.bucket}, a workspace's own bucket "
            f"({names.PREFIX}…); datasets must be published in a bucket of their own.",
        )
    for peer in peers:
        if peer.name == dataset.name or peer.spec is None or peer.spec.bucket != spec.bucket:
            continue
        if _overlaps(spec.prefix, peer.spec.prefix) and _earlier(peer, dataset):
            return Check(
                "Valid",
                False,
                "OverlappingLocation",
                f"Dataset {dataset.name} at {spec.bucket}/{spec.prefix} overlaps dataset "
                f"{peer.name} at {spec.bucket}/{peer.spec.prefix}, declared earlier; "
                "each dataset needs a prefix of its own.",
            )
    return None
