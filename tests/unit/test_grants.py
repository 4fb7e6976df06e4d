"""Which grants are in force, and what a grant's status says."""

from __future__ import annotations

import datetime as dt
from typing import Any

from havre.pipeline.dereference import active_grants
from havre.pipeline.grants import grant_checks
from havre.pipeline.status import summary
from tests.unit.conftest import NOW

LATER = "2030-01-01T00:00:00Z"
EARLIER = "2026-01-01T00:00:00Z"


def grant(name: str, ws: str, ds: str, expires: str = LATER, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, **meta},
        "spec": {"workspace": ws, "dataset": ds, "legalBasis": "MR-004", "expires": expires},
    }


def dataset(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "title": "t",
            "bucket": "datasets",
            "prefix": name,
            "icebergNamespace": "snds",
            "steward": "sam",
        },
    }


def test_only_unexpired_live_grants_of_existing_datasets_count() -> None:
    grants = [
        grant("ok", "cardio", "snds"),
        grant("other-ws", "onco", "snds"),
        grant("expired", "cardio", "snds", expires=EARLIER),
        grant("deleting", "cardio", "snds", deletionTimestamp="2026-11-28T00:00:00Z"),
        grant("no-dataset", "cardio", "ghost"),
        {"metadata": {"name": "broken"}, "spec": {"workspace": "cardio"}},
    ]
    active = active_grants(grants, [dataset("snds")], "cardio", NOW)
    assert [g.name for g in active] == ["ok"]
    assert active[0].dataset.prefix == "snds"


def test_grant_in_force_is_ready() -> None:
    checks = grant_checks(grant("g", "cardio", "snds")["spec"], True, True, NOW)
    assert summary(checks).ok


def test_grant_for_missing_workspace_names_it() -> None:
    checks = grant_checks(grant("g", "gone", "snds")["spec"], False, True, NOW)
    ready = summary(checks)
    assert (ready.ok, ready.reason) == (False, "WorkspaceNotFound")
    assert "gone" in ready.message


def test_grant_for_missing_dataset_names_it() -> None:
    ready = summary(grant_checks(grant("g", "cardio", "ghost")["spec"], True, False, NOW))
    assert (ready.ok, ready.reason) == (False, "DatasetNotFound")


def test_expired_grant_says_when_access_ended() -> None:
    later = NOW + dt.timedelta(days=2000)
    ready = summary(grant_checks(grant("g", "cardio", "snds")["spec"], True, True, later))
    assert (ready.ok, ready.reason) == (False, "Expired")
    assert "2030-01-01T00:00:00Z" in ready.message
