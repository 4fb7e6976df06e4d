"""The Dataset controller's reconcile: validity, its catalog database, who is granted.

Needs a client (the ``CatalogDatabase``) for the dataset's ``ds_`` database, created as soon
as the dataset is valid so that a grant never waits for it. The status says whether the
dataset may be granted (``Valid``, with ``ReservedName``, ``InvalidLocation``,
``OverlappingLocation``), whether its catalog exists (``Catalog``), and which workspaces
hold a grant in force (``grantedTo``), from the operator's records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.errors import HavreError
from havre.federation.member import member_provider
from havre.pipeline.conditions import (
    Check,
    conditions_json,
    merge_conditions,
    merge_patch,
    summary,
)
from havre.pipeline.datasets import dataset_problem
from havre.pipeline.grant_reconcile import state_of
from havre.pipeline.platform import Platform
from havre.pipeline.records import Catalogue, DatasetRecord


@dataclass(frozen=True)
class DatasetOutcome:
    record: DatasetRecord
    valid: bool
    status: dict[str, Any]
    patch: dict[str, Any] | None
    #: A temporary failure (the catalog database down): retry with backoff.
    retry: bool


def granted_to(
    name: str, catalogue: Catalogue, now: dt.datetime, provider: str | None = None
) -> list[str]:
    """Workspaces holding a grant of the dataset in force now, sorted."""
    grants = catalogue.grants_of_dataset(name)
    return sorted({g.workspace for g in grants if state_of(g, catalogue, now, provider).in_force})


def _catalog_check(platform: Platform, dataset: str) -> Check:
    catalogs = platform.catalog_database
    assert catalogs is not None
    try:
        catalogs.ensure_dataset(dataset)
    except HavreError as exc:
        return Check("Catalog", False, exc.reason, exc.message)
    return Check("Catalog", True, "Provisioned", f"Catalog database for {dataset} is in place.")


def reconcile_dataset(
    platform: Platform, body: Mapping[str, Any], catalogue: Catalogue, now: dt.datetime
) -> DatasetOutcome:
    record = DatasetRecord.from_body(body)
    provider = member_provider(platform.settings)
    problem = dataset_problem(record, catalogue.datasets_in_bucket(record.bucket), provider)
    checks = [problem or Check("Valid", True, "Valid", "The dataset may be granted.")]
    if problem is None and platform.catalog_database is not None:
        checks.append(_catalog_check(platform, record.name))
    old = body.get("status") or {}
    conditions = merge_conditions(
        list(old.get("conditions", [])),
        [summary(checks), *checks],
        record.generation,
        now.replace(microsecond=0),
    )
    status = {
        "observedGeneration": record.generation,
        "conditions": conditions_json(conditions),
        "grantedTo": granted_to(record.name, catalogue, now, provider) if problem is None else [],
    }
    patch = merge_patch(old, status)
    retry = any(not c.ok and c.type == "Catalog" for c in checks)
    return DatasetOutcome(record, problem is None, status, patch or None, retry)
