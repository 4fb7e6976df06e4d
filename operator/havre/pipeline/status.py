"""Pure status computation: conditions with observedGeneration, and the summary ``Ready``."""

from __future__ import annotations

import datetime as dt
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
    #: False for a failure that degrades only a part of the object (e.g. one unknown
    #: member): reported in its own condition, it does not make ``Ready`` False.
    blocking: bool = True


def merge_conditions(
    previous: list[dict[str, Any]],
    checks: list[Check],
    generation: int,
    now: dt.datetime,
) -> list[Condition]:
    """New conditions for ``checks``; ``lastTransitionTime`` moves only when status changes.

    Conditions not checked this time (a step that did not run) keep their last value.
    """
    by_type = {c["type"]: c for c in previous}
    out: dict[str, Condition] = {}
    for item in previous:
        out[item["type"]] = Condition.model_validate(item)
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
    """``Ready`` is True only when every blocking check is; otherwise it carries the first
    blocking failure."""
    for check in checks:
        if not check.ok and check.blocking:
            return Check("Ready", False, check.reason, check.message)
    return Check("Ready", True, "Ready", "All parts of the object are in place.")


def conditions_json(conditions: list[Condition]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json", by_alias=True) for c in conditions]


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
