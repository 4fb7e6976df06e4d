"""What the handlers report after each reconcile: results, errors, first Ready,
revocations and drift repairs. Each function is one call from a handler; none changes what
the handler does, and none raises.

``reconciles(kind)`` decorates the function that reconciles one object: it keeps the
in-flight gauge, times the call and counts an exception that escapes it as an error. The
``*_reconciled`` calls inside classify the outcome.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

from havre.metrics.definitions import (
    DRIFT_REPAIRS,
    IN_FLIGHT,
    RECONCILE_DURATION,
    RECONCILE_ERRORS,
    RECONCILES,
    REVOCATION_DELAY,
    REVOCATIONS,
    TIME_TO_READY,
)
from havre.metrics.instrument import error_reason
from havre.metrics.view import VIEW, View

P = ParamSpec("P")
R = TypeVar("R")

#: Ready reasons that describe a state the object is meant to be in, not a failure.
INTENDED = frozenset(
    {
        "Expired",
        "Suspended",
        "AwaitingApproval",
        "Rejected",
        "Waiting",
        "WorkspaceNotFound",
        "WorkspaceDeleted",
        "DatasetNotFound",
        # The query engine's state, from its Deployments (engine_availability): Trino
        # starting, rolling or not fitting is the workload's state, not a failed reconcile.
        "Progressing",
        "DeploymentMissing",
        "MinimumReplicasUnavailable",
        "ProgressDeadlineExceeded",
        "NewReplicaSetCreated",
        "FoundNewReplicaSet",
        "ReplicaSetUpdated",
    }
)
#: Changes of the object-store, catalog and identity steps, by the prefix the pipeline gives them.
_SYSTEMS = {
    "bucket": "object_store",
    "policy": "object_store",
    "user": "object_store",
    "attachment": "object_store",
    "catalog": "catalog_database",
    "catalog-grant": "catalog_database",
    "group": "identity_provider",
    "group-attributes": "identity_provider",
    "member": "identity_provider",
}
_KIND = re.compile(r"^[A-Z][A-Za-z]{0,62}$")
_frames = threading.local()


def _stack() -> list[list[bool]]:
    stack: list[list[bool]] | None = getattr(_frames, "stack", None)
    if stack is None:
        stack = _frames.stack = []
    return stack


def reconciles(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator for the function that reconciles one object of ``kind``."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            frame = [False]  # set once the call inside reports a result
            _stack().append(frame)
            gauge = IN_FLIGHT.labels(kind)
            gauge.inc()
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                RECONCILE_ERRORS.labels(kind, error_reason(exc)).inc()
                if not frame[0]:
                    RECONCILES.labels(kind, "error").inc()
                raise
            finally:
                gauge.dec()
                _stack().pop()
                if frame[0]:
                    RECONCILE_DURATION.labels(kind).observe(time.perf_counter() - started)

        return wrapper

    return decorate


def _mark_reported() -> None:
    stack = _stack()
    if stack:
        stack[-1][0] = True


def _conditions(status: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(c.get("type")): c for c in status.get("conditions", []) if isinstance(c, Mapping)}


def _time(raw: Any) -> dt.datetime | None:
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None


def _result(kind: str, status: Mapping[str, Any], retry: bool) -> None:
    ready = _conditions(status).get("Ready", {})
    reason = str(ready.get("reason", "Unknown"))
    if retry:
        degraded = _conditions(status).get("Degraded", {})
        RECONCILES.labels(kind, "retry").inc()
        RECONCILE_ERRORS.labels(kind, str(degraded.get("reason", reason))).inc()
    elif ready.get("status") == "True":
        RECONCILES.labels(kind, "ready").inc()
    elif reason in INTENDED:
        RECONCILES.labels(kind, "not_ready").inc()
    else:
        RECONCILES.labels(kind, "error").inc()
        RECONCILE_ERRORS.labels(kind, reason).inc()
    _mark_reported()


def _first_ready(
    kind: str, obj: Mapping[str, Any], new: Mapping[str, Any], now: dt.datetime, view: View
) -> None:
    old_ready = _conditions(obj.get("status") or {}).get("Ready", {})
    new_ready = _conditions(new).get("Ready", {})
    if old_ready.get("status") == "True" or new_ready.get("status") != "True":
        return
    meta = obj.get("metadata", {})
    created = _time(meta.get("creationTimestamp"))
    if created is not None and view.first_ready(str(meta.get("uid", ""))):
        TIME_TO_READY.labels(kind).observe(max(0.0, (now - created).total_seconds()))


def _revoked(kind: str, cause: str, due: dt.datetime | None, now: dt.datetime) -> None:
    REVOCATIONS.labels(kind, cause).inc()
    if due is not None:
        REVOCATION_DELAY.labels(cause).observe(max(0.0, (now - due).total_seconds()))


def workspace_reconciled(
    obj: Mapping[str, Any],
    status: Mapping[str, Any],
    retry: bool,
    now: dt.datetime | None = None,
    view: View = VIEW,
) -> None:
    """After a workspace's reconcile: its result, first Ready, and the access it withdrew
    (the workspace's own on expiry or suspension; grants that expired). Revocations count
    only when the reconcile finished without a failing step."""
    now = now or dt.datetime.now(dt.UTC)
    old = obj.get("status") or {}
    _result("Workspace", status, retry)
    _first_ready("Workspace", obj, status, now, view)
    if retry:
        return
    old_access = _conditions(old).get("Access", {})
    new_access = _conditions(status).get("Access", {})
    if old_access.get("status") == "True" and new_access.get("status") == "False":
        cause = str(new_access.get("reason", "")).lower() or "other"
        due = _time(obj.get("spec", {}).get("expires")) if cause == "expired" else None
        _revoked("Workspace", cause, due, now)
    kept = {g.get("name") for g in status.get("grants", []) if isinstance(g, Mapping)}
    for grant in old.get("grants", []):
        if not isinstance(grant, Mapping) or grant.get("name") in kept:
            continue
        expires = _time(grant.get("expires"))
        if expires is not None and expires <= now:
            _revoked("DatasetGrant", "expired", expires, now)


def grant_reconciled(
    obj: Mapping[str, Any],
    status: Mapping[str, Any],
    now: dt.datetime | None = None,
    view: View = VIEW,
) -> None:
    """After a grant's status is computed: its result and first Ready."""
    now = now or dt.datetime.now(dt.UTC)
    _result("DatasetGrant", status, retry=False)
    _first_ready("DatasetGrant", obj, status, now, view)


def grant_deleted(obj: Mapping[str, Any], now: dt.datetime | None = None) -> None:
    """After a deleted grant's access was withdrawn from its workspace (it was in force)."""
    now = now or dt.datetime.now(dt.UTC)
    ready = _conditions(obj.get("status") or {}).get("Ready", {})
    if ready.get("status") == "True":
        due = _time(obj.get("metadata", {}).get("deletionTimestamp"))
        _revoked("DatasetGrant", "deleted", due, now)


def drift_repaired(applied: Iterable[str], deleted: Iterable[str], changes: Iterable[str]) -> None:
    """After a periodic repair: what it had to write back. ``applied``/``deleted`` are the
    in-cluster objects (``Kind/namespace/name``); ``changes`` the external ones
    (``bucket/ws-x``, ``-catalog-grant/ds``)."""
    for item in [*applied, *deleted]:
        kind = item.split("/", 1)[0]
        DRIFT_REPAIRS.labels("kubernetes", kind if _KIND.match(kind) else "other").inc()
    for item in changes:
        resource = item.split("/", 1)[0].lstrip("-")
        if resource not in _SYSTEMS:
            resource = "other"
        DRIFT_REPAIRS.labels(_SYSTEMS.get(resource, "other"), resource).inc()
