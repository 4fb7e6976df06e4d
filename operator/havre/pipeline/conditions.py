"""Conditions, pure: one ``Check`` per part of an object, merged into API conditions with
``observedGeneration``, and the summary ``Ready``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.api.status import Condition, ConditionStatus


@dataclass(frozen=True)
class Check:
    """The outcome of one part of a reconcile, as a condition to report."""

    type: str
    ok: bool
    reason: str
    message: str


def merge_conditions(
    previous: list[dict[str, Any]],
    checks: list[Check],
    generation: int,
    now: dt.datetime,
) -> list[Condition]:
    """The conditions of ``checks``, and only those: a status says what this reconcile
    found, never what an earlier one did. ``lastTransitionTime`` moves only when a
    condition's status changes."""
    by_type = {c["type"]: c for c in previous}
    out: dict[str, Condition] = {}
    for check in checks:
        status = ConditionStatus.TRUE if check.ok else ConditionStatus.FALSE
        old = by_type.get(check.type)
        since = now
        if old is not None and old.get("status") == status.value:
            since = _parse_time(old["lastTransitionTime"])
        out[check.type] = Condition(
            type=check.type,
            status=status,
            reason=check.reason,
            message=check.message,
            last_transition_time=since,
            observed_generation=generation,
        )
    return [out[t] for t in sorted(out, key=lambda t: (t != "Ready", t))]


def summary(checks: list[Check]) -> Check:
    """``Ready`` is True only when every check is; otherwise it carries the first failure."""
    for check in checks:
        if not check.ok:
            return Check("Ready", False, check.reason, check.message)
    return Check("Ready", True, "Ready", "All parts of the object are in place.")


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7396) that turns ``old`` into ``new``."""
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            inner = merge_patch(before, value)
            if inner:
                patch[key] = inner
        elif value != before:
            patch[key] = value
    return patch


def conditions_json(conditions: list[Condition]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json", by_alias=True) for c in conditions]


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
