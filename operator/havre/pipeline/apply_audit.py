"""Apply step, audit part: the decisions a reconcile has just applied, handed to the trail.

Recorded after the writes that apply them, never before, and never holding them up: the
log only queues (``DecisionLog``; the sender posts on a thread of its own and retries),
and a failure to queue is logged and counted (``havre_audit_decisions_dropped_total``),
never raised. A removal of access therefore never waits on, nor is blocked by, the
audit receiver or its bucket.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from havre.audit import decisions, metrics
from havre.pipeline.platform import DecisionLog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpecChange:
    """A change of an object's spec as kopf saw it: ``reason`` ``create`` or ``update``,
    ``old`` the spec before an update (None on create)."""

    reason: str
    old: Mapping[str, Any] | None = None

    @classmethod
    def from_kopf(cls, reason: str | None, old: Any) -> SpecChange | None:
        """None for what is not a change of spec (resume, the repair timer)."""
        if reason == "create":
            return cls("create")
        if reason == "update" and isinstance(old, Mapping):
            return cls("update", old)
        return None


def _reason(status: Mapping[str, Any], type_: str) -> str | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == type_:
            return str(cond.get("reason"))
    return None


def _became_expired(old: Mapping[str, Any], new: Mapping[str, Any], type_: str) -> bool:
    return _reason(new, type_) == "Expired" and _reason(old, type_) != "Expired"


#: ``decisions.workspace_decisions`` or ``decisions.grant_decisions``: (old spec, object, at).
_SpecDecisions = Callable[
    [Mapping[str, Any] | None, Mapping[str, Any], dt.datetime], list[dict[str, Any]]
]
#: ``decisions.workspace_expired`` or ``decisions.grant_expired``: (object, at).
_ExpiryDecision = Callable[[Mapping[str, Any], dt.datetime], dict[str, Any]]


def _decided(
    change: SpecChange | None,
    body: Mapping[str, Any],
    expired: bool,
    now: dt.datetime,
    of_spec: _SpecDecisions,
    of_expiry: _ExpiryDecision,
) -> list[dict[str, Any]]:
    """The records of a spec change (if any), then of an expiry that has just happened."""
    records: list[dict[str, Any]] = []
    if change is not None:
        records += of_spec(change.old, body, now)
    if expired:
        records.append(of_expiry(body, now))
    return records


def workspace_decisions(
    change: SpecChange | None,
    body: Mapping[str, Any],
    old_status: Mapping[str, Any],
    new_status: Mapping[str, Any],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """What a Workspace reconcile decided: its spec change (request, approval, rejection,
    members, suspension, expiry date) and an authorisation that has just ended."""
    expired = _became_expired(old_status, new_status, "Access")
    return _decided(
        change, body, expired, now, decisions.workspace_decisions, decisions.workspace_expired
    )


def grant_decisions(
    change: SpecChange | None,
    body: Mapping[str, Any],
    old_status: Mapping[str, Any],
    new_status: Mapping[str, Any],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """What a DatasetGrant reconcile decided: created, expiry moved, or just expired."""
    expired = _became_expired(old_status, new_status, "Active")
    return _decided(change, body, expired, now, decisions.grant_decisions, decisions.grant_expired)


def record_decisions(audit: DecisionLog | None, records: Sequence[dict[str, Any]]) -> int:
    """Queue ``records`` on the trail; the number queued (0 without a trail or on failure)."""
    if audit is None or not records:
        return 0
    try:
        audit.record(*records)
    except Exception:  # the trail must never stop a reconcile, least of all a removal
        metrics.DECISIONS_DROPPED.inc(len(records))
        log.exception("could not queue %d audit decision(s)", len(records))
        return 0
    return len(records)
