"""A DatasetGrant's reconcile, pure: its state from the operator's records, as a status.

The grant's own object comes from the API server; the workspace and the dataset it names
come from the ``Catalogue`` (memory). Nothing outside the grant is written here: the
handler then wakes the workspace (which applies access) and the dataset (``grantedTo``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from havre.federation.remote_grant import read_from_elsewhere, remote_grant_state
from havre.pipeline.conditions import Check, merge_patch
from havre.pipeline.datasets import dataset_problem
from havre.pipeline.grants import GrantState, grant_state, grant_status
from havre.pipeline.records import Catalogue, GrantRecord


@dataclass(frozen=True)
class GrantOutcome:
    record: GrantRecord
    state: GrantState
    status: dict[str, Any]
    patch: dict[str, Any] | None


def state_of(
    grant: GrantRecord, catalogue: Catalogue, now: dt.datetime, provider: str | None = None
) -> GrantState:
    """Where the grant stands now, by the shared rules (``grants.py``, ``datasets.py``);
    ``provider``: this member's provider in a federation."""
    dataset = catalogue.dataset(grant.dataset)
    problem = (
        dataset_problem(dataset, catalogue.datasets_in_bucket(dataset.bucket), provider)
        if dataset is not None
        else None
    )
    if read_from_elsewhere(grant, provider):
        # Its workspace runs at another provider: this member holds the data only.
        return remote_grant_state(grant, dataset, problem, now)
    return grant_state(grant, catalogue.workspace(grant.workspace), dataset, problem, now)


def reconcile_grant(
    body: Mapping[str, Any],
    catalogue: Catalogue,
    now: dt.datetime,
    provider: str | None = None,
    credentials: Check | None = None,
) -> GrantOutcome:
    """``credentials``: how issuing a remote grant's credentials went (holder only)."""
    grant = GrantRecord.from_body(body)
    state = state_of(grant, catalogue, now, provider)
    if credentials is not None:
        state = replace(state, checks=(*state.checks, credentials))
    old = body.get("status") or {}
    status = grant_status(old, grant.generation, state, now)
    patch = merge_patch(old, status)
    return GrantOutcome(grant, state, status, patch or None)
