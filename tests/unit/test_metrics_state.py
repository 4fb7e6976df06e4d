"""The in-memory view and the gauges computed from it at scrape time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import CollectorRegistry

from havre.external.usage import BucketUsage
from havre.metrics.collectors import FAMILIES, StateCollector
from havre.metrics.view import View, object_view
from havre.metrics.watch import observe_event

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def workspace_body(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"uid-{name}"},
        "spec": {
            "title": "t",
            "owner": "alice",
            "members": [{"user": "bob", "role": "analyst"}],
            "expires": "2026-12-08T12:00:00Z",
            "size": {"workers": 2, "cpu": "1500m", "memory": "4Gi", "storage": "10Gi"},
            # an approved workspace (a request runs no Trino)
            "approval": {"decision": "Approved", "by": "oidc:carla"},
            **spec,
        },
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "ObjectStoreUnavailable"},
                {"type": "Namespace", "status": "True", "reason": "Applied"},
            ]
        },
    }


def grant_body(name: str, ready: bool, expires: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"uid-{name}"},
        "spec": {
            "workspace": "cardio",
            "dataset": "snds",
            "legalBasis": "MR-004",
            "expires": expires,
        },
        "status": {
            "conditions": [
                {"type": "Ready", "status": str(ready), "reason": "Active" if ready else "Expired"}
            ]
        },
    }


def scrape(view: View, scheduled: int = 0) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(StateCollector(view, lambda: scheduled, clock=lambda: NOW))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }


def test_workspace_requests_every_trino_node_while_running_and_nothing_when_suspended() -> None:
    running = object_view("Workspace", workspace_body("cardio"), NOW, query_engine=True)
    assert running.requested_cpu_cores == 4.5  # coordinator and 2 workers at 1500m
    assert running.requested_memory_bytes == 3 * 4 * 2**30
    assert running.quota_bytes == 10 * 2**30
    paused = workspace_body("cardio", suspended=True)
    assert object_view("Workspace", paused, NOW, query_engine=True).requested_cpu_cores == 0
    assert (
        object_view("Workspace", workspace_body("x"), NOW, query_engine=False).requested_cpu_cores
        == 0
    )


def test_unreadable_workspace_spec_is_viewed_without_requests_or_quota() -> None:
    body = workspace_body("cardio", expires="not a date")
    view = object_view("Workspace", body, NOW, query_engine=True)
    assert (view.requested_cpu_cores, view.quota_bytes, view.expires) == (0, None, None)
    assert view.condition("Ready") is not None


def test_scrape_reports_conditions_expiry_usage_and_queue_without_users() -> None:
    view = View()
    observe_event("Workspace", None, workspace_body("cardio"), query_engine=True, view=view)
    observe_event(
        "DatasetGrant",
        "ADDED",
        grant_body("g-live", True, "2026-11-30T12:00:00Z"),
        query_engine=False,
        view=view,
    )
    observe_event(
        "DatasetGrant",
        "ADDED",
        grant_body("g-old", False, "2026-11-01T00:00:00Z"),
        query_engine=False,
        view=view,
    )
    view.set_usage({"ws-cardio": BucketUsage(bytes=1234, objects=3)}, NOW)
    samples = scrape(view, scheduled=2)
    assert (
        samples[
            ("havre_objects", (("condition", "Ready"), ("kind", "Workspace"), ("status", "False")))
        ]
        == 1
    )
    assert (
        samples[
            ("havre_objects", (("condition", "Ready"), ("kind", "Workspace"), ("status", "True")))
        ]
        == 0
    )
    assert (
        samples[
            (
                "havre_objects",
                (("condition", "Ready"), ("kind", "DatasetGrant"), ("status", "True")),
            )
        ]
        == 1
    )
    assert (
        samples[
            (
                "havre_workspace_ready",
                (("reason", "ObjectStoreUnavailable"), ("workspace", "cardio")),
            )
        ]
        == 0
    )
    assert samples[("havre_workspace_expiry_seconds", (("workspace", "cardio"),))] == 10 * 86400
    grant_keys = (("dataset", "snds"), ("grant", "g-live"), ("workspace", "cardio"))
    assert samples[("havre_grant_expiry_seconds", grant_keys)] == 2 * 86400
    # an ended grant has no expiry countdown, only its Ready=0 with reason Expired
    assert not [
        k for k in samples if k[0] == "havre_grant_expiry_seconds" and ("grant", "g-old") in k[1]
    ]
    assert samples[("havre_workspace_storage_used_bytes", (("workspace", "cardio"),))] == 1234
    assert samples[("havre_workspace_storage_objects", (("workspace", "cardio"),))] == 3
    assert samples[("havre_scheduled_expiries", ())] == 2
    values = {v for _, labels in samples for _, v in labels}
    assert not values & {"alice", "bob", "MR-004"}


def test_deleted_objects_leave_the_view_and_every_family_is_still_described() -> None:
    view = View()
    observe_event("Workspace", None, workspace_body("cardio"), query_engine=True, view=view)
    observe_event("Workspace", "DELETED", workspace_body("cardio"), query_engine=True, view=view)
    samples = scrape(view)
    assert not [k for k in samples if ("workspace", "cardio") in k[1]]
    registry = CollectorRegistry()
    registry.register(StateCollector(view))
    assert {f.name for f in registry.collect()} == {name for name, _, _ in FAMILIES}


def test_a_bucket_not_counted_yet_has_no_usage_rather_than_zero() -> None:
    view = View()
    observe_event("Workspace", None, workspace_body("cardio"), query_engine=True, view=view)
    view.set_usage({}, None)
    samples = scrape(view)
    assert not [k for k in samples if k[0] == "havre_workspace_storage_used_bytes"]
    assert ("havre_storage_usage_updated_timestamp_seconds", ()) not in samples


def test_first_ready_is_reported_once_per_object() -> None:
    view = View()
    assert view.first_ready("uid-1")
    assert not view.first_ready("uid-1")
    ready = workspace_body("cardio")
    ready["status"]["conditions"][0] = {"type": "Ready", "status": "True", "reason": "Ready"}
    observe_event("Workspace", None, ready, query_engine=True, view=view)
    assert not view.first_ready("uid-cardio")  # already seen Ready in the watch stream
