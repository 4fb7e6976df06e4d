"""One level-based reconcile of a Workspace: dereference → validate → render → apply → status.

Needs clients: ``dereference_workspace`` (reads), ``apply_workspace`` and ``apply_storage``
(writes). Everything else here is pure.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from havre.api import API_VERSION, names
from havre.errors import HavreError
from havre.external.objectstore import ObjectStore
from havre.kube.cluster import Cluster
from havre.pipeline.apply import ApplyReport, Owner, apply_workspace
from havre.pipeline.dereference import ActiveGrant, dereference_workspace
from havre.pipeline.render.storage import render_storage_plan, render_storage_secret
from havre.pipeline.render.storage_policy import DatasetLocation
from havre.pipeline.render.workspace import render_workspace
from havre.pipeline.status import Check, conditions_json, merge_conditions, summary
from havre.pipeline.storage import apply_storage
from havre.pipeline.validate import ValidWorkspace, validate_workspace
from havre.settings import Settings


@dataclass(frozen=True)
class Platform:
    """The systems a reconcile talks to; ``store`` is None when no object store is set."""

    cluster: Cluster
    settings: Settings
    store: ObjectStore | None = None


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What the handler must do after a reconcile: write status, post events, retry."""

    status: dict[str, Any]
    status_changed: bool
    events: list[Event] = field(default_factory=list)
    #: True when a temporary failure (a dependency down) should be retried with backoff.
    retry: bool = False
    report: ApplyReport | None = None
    storage_changes: list[str] = field(default_factory=list)


def _grant_status(grants: tuple[ActiveGrant, ...]) -> list[dict[str, Any]]:
    return [
        {
            "name": g.name,
            "dataset": g.spec.dataset,
            "legalBasis": g.spec.legal_basis,
            "expires": g.spec.expires.isoformat().replace("+00:00", "Z"),
        }
        for g in grants
    ]


def _provision(
    platform: Platform, ws: ValidWorkspace, uid: str, now: dt.datetime, checks: list[Check]
) -> tuple[ApplyReport | None, list[str], dict[str, Any], bool]:
    """The client-bound part: reads, in-cluster apply, object store. Appends checks."""
    settings, store = platform.settings, platform.store
    refs = dereference_workspace(platform.cluster, ws.name, now, store is not None)
    manifests = render_workspace(ws, settings)
    plan = None
    if store is not None and settings.storage is not None:
        secret_key = refs.storage_secret_key or secrets.token_hex(20)
        datasets = tuple(DatasetLocation(g.dataset.bucket, g.dataset.prefix) for g in refs.grants)
        plan = render_storage_plan(ws, datasets, secret_key)
        manifests.append(render_storage_secret(ws, plan, settings.storage.url))
    owner = Owner(API_VERSION, "Workspace", ws.name, uid)
    extra: dict[str, Any] = {"grants": _grant_status(refs.grants)}
    retry = False
    report = None
    changes: list[str] = []
    try:
        report = apply_workspace(platform.cluster, owner, manifests)
    except HavreError as exc:
        checks.append(Check("Namespace", False, exc.reason, exc.message))
        return None, [], extra, not exc.permanent
    checks.append(
        Check(
            "Namespace",
            True,
            "Applied",
            f"Namespace {names.namespace(ws.name)} with quota, network policies and roles "
            "is in place.",
        )
    )
    if plan is not None and store is not None and settings.storage is not None:
        extra["endpoints"] = {"s3": settings.storage.url, "bucket": plan.bucket}
        try:
            changes = apply_storage(store, plan)
        except HavreError as exc:
            checks.append(Check("Storage", False, exc.reason, exc.message))
            retry = not exc.permanent
        else:
            state = "enabled" if plan.enabled else "disabled (suspended or expired)"
            checks.append(
                Check(
                    "Storage",
                    True,
                    "Provisioned",
                    f"Bucket {plan.bucket} with a {ws.spec.size.storage} quota; credentials "
                    f"{state}; {len(refs.grants)} dataset grant(s).",
                )
            )
    return report, changes, extra, retry


def reconcile_workspace(platform: Platform, obj: dict[str, Any], now: dt.datetime) -> Outcome:
    meta = obj["metadata"]
    name: str = meta["name"]
    generation: int = meta.get("generation", 0)
    old_status: dict[str, Any] = obj.get("status") or {}
    checks: list[Check] = []
    report: ApplyReport | None = None
    changes: list[str] = []
    extra: dict[str, Any] = {}
    retry = False
    try:
        ws = validate_workspace(name, obj.get("spec", {}), now)
    except HavreError as exc:
        checks.append(Check("Valid", False, exc.reason, exc.message))
    else:
        checks.append(Check("Valid", True, "Valid", "The spec is valid."))
        report, changes, extra, retry = _provision(platform, ws, meta["uid"], now, checks)
        checks.append(_access_check(ws))
    degraded = Check(
        "Degraded",
        retry,
        next((c.reason for c in checks if not c.ok), "AsExpected") if retry else "AsExpected",
        "A dependency is unavailable; retrying." if retry else "No dependency is failing.",
    )
    stamp = now.replace(microsecond=0)
    conditions = merge_conditions(
        old_status.get("conditions", []), [summary(checks), *checks, degraded], generation, stamp
    )
    status = {
        **old_status,
        **extra,
        "observedGeneration": generation,
        "conditions": conditions_json(conditions),
        "namespace": names.namespace(name),
    }
    return Outcome(
        status=status,
        status_changed=status != old_status,
        events=_events(old_status, conditions, report, changes),
        retry=retry,
        report=report,
        storage_changes=changes,
    )


def _access_check(ws: ValidWorkspace) -> Check:
    expires = ws.spec.expires.isoformat()
    if ws.expired:
        return Check(
            "Access",
            False,
            "Expired",
            f"The authorisation ended at {expires}: members' access was removed; data is kept.",
        )
    if ws.spec.suspended:
        return Check("Access", False, "Suspended", "The workspace is suspended; data is kept.")
    return Check("Access", True, "Granted", f"{len(ws.members)} member(s) until {expires}.")


def _events(
    old_status: dict[str, Any],
    conditions: list[Any],
    report: ApplyReport | None,
    storage_changes: list[str],
) -> list[Event]:
    """An Event when Ready changes (same reason as the condition), and one per repair."""
    events: list[Event] = []
    old_ready = next((c for c in old_status.get("conditions", []) if c["type"] == "Ready"), None)
    ready = next(c for c in conditions if c.type == "Ready")
    if old_ready is None or (old_ready["status"], old_ready["reason"]) != (
        ready.status.value,
        ready.reason,
    ):
        kind = "Normal" if ready.status.value == "True" else "Warning"
        events.append(Event(kind, ready.reason, ready.message))
        return events
    changed = [*storage_changes]
    if report is not None:
        changed += [*report.applied, *(f"-{d}" for d in report.deleted)]
    if changed:
        events.append(Event("Normal", "Reconciled", f"Updated: {', '.join(changed)}"[:1000]))
    return events
