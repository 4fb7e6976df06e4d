"""One level-based reconcile of a Workspace: dereference → validate → render → apply → status.

Needs a client: ``apply_workspace`` (reads and writes). Everything else here is pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from havre.api import API_VERSION, names
from havre.errors import HavreError
from havre.kube.cluster import Cluster
from havre.pipeline.apply import ApplyReport, Owner, apply_workspace
from havre.pipeline.render.workspace import render_workspace
from havre.pipeline.status import Check, conditions_json, merge_conditions, summary
from havre.pipeline.validate import validate_workspace
from havre.settings import Settings


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
    #: Seconds until a retry for a temporary failure; None when nothing is to be retried.
    retry_after: float | None = None
    report: ApplyReport | None = None


def reconcile_workspace(
    cluster: Cluster, settings: Settings, obj: dict[str, Any], now: dt.datetime
) -> Outcome:
    meta = obj["metadata"]
    name: str = meta["name"]
    generation: int = meta.get("generation", 0)
    old_status: dict[str, Any] = obj.get("status") or {}
    checks: list[Check] = []
    retry: float | None = None
    report: ApplyReport | None = None
    try:
        ws = validate_workspace(name, obj.get("spec", {}), now)
    except HavreError as exc:
        checks.append(Check("Valid", False, exc.reason, exc.message))
    else:
        checks.append(Check("Valid", True, "Valid", "The spec is valid."))
        owner = Owner(API_VERSION, "Workspace", name, meta["uid"])
        try:
            report = apply_workspace(cluster, owner, render_workspace(ws, settings))
        except HavreError as exc:
            checks.append(Check("Namespace", False, exc.reason, exc.message))
            retry = None if exc.permanent else 10.0
        else:
            checks.append(
                Check(
                    "Namespace",
                    True,
                    "Applied",
                    f"Namespace {names.namespace(name)} with quota, network policies and "
                    "roles is in place.",
                )
            )
        if ws.expired:
            checks.append(
                Check(
                    "Access",
                    False,
                    "Expired",
                    f"The authorisation ended at {ws.spec.expires.isoformat()}: members' "
                    "access was removed; data is kept.",
                )
            )
        else:
            checks.append(Check("Access", True, "Granted", f"{len(ws.members)} member(s)."))
    stamp = now.replace(microsecond=0)
    conditions = merge_conditions(
        old_status.get("conditions", []), [summary(checks), *checks], generation, stamp
    )
    status = {
        **old_status,
        "observedGeneration": generation,
        "conditions": conditions_json(conditions),
        "namespace": names.namespace(name),
    }
    return Outcome(
        status=status,
        status_changed=status != old_status,
        events=_events(old_status, conditions, report),
        retry_after=retry,
        report=report,
    )


def _events(
    old_status: dict[str, Any], conditions: list[Any], report: ApplyReport | None
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
    elif report is not None and (report.applied or report.deleted):
        changed = ", ".join([*report.applied, *(f"-{d}" for d in report.deleted)])
        events.append(Event("Normal", "Reconciled", f"Updated: {changed}"[:1000]))
    return events
