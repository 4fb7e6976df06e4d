"""The operator's in-memory view of the objects it manages, for the gauges.

Fed by the watch stream kopf already holds open (every ADDED/MODIFIED/DELETED event of
Workspaces and DatasetGrants, including the status the operator writes) and by the
periodic read of bucket usage. A scrape reads this view: it never LISTs the API server or
calls the object store. ``object_view`` is pure; ``View`` only stores and hands out copies.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from havre.api.quantity import parse_quantity
from havre.errors import HavreError
from havre.external.usage import BucketUsage
from havre.pipeline.validate import validate_workspace


@dataclass(frozen=True)
class ConditionView:
    type: str
    status: str
    reason: str


@dataclass(frozen=True)
class ObjectView:
    """What the gauges say about one Workspace or DatasetGrant."""

    kind: str
    name: str
    uid: str
    conditions: tuple[ConditionView, ...]
    expires: dt.datetime | None = None
    #: DatasetGrant only: the workspace and dataset it names.
    workspace: str = ""
    dataset: str = ""
    #: Workspace only: what its rendered Trino pods request (0 when suspended or expired).
    requested_cpu_cores: float = 0.0
    requested_memory_bytes: float = 0.0
    #: Workspace only: the bucket's hard quota, None when the spec cannot be read.
    quota_bytes: float | None = None

    def condition(self, type_: str) -> ConditionView | None:
        return next((c for c in self.conditions if c.type == type_), None)


def _expires(raw: Any) -> dt.datetime | None:
    if not raw:
        return None
    try:
        when = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _quantity(text: Any) -> Decimal | None:
    try:
        return parse_quantity(str(text))
    except ValueError:
        return None


def object_view(
    kind: str, body: Mapping[str, Any], now: dt.datetime, *, query_engine: bool
) -> ObjectView:
    """The view of a watched object; an unreadable spec yields zero requests, no quota."""
    meta = body.get("metadata", {})
    spec = body.get("spec", {}) or {}
    conditions = tuple(
        ConditionView(str(c.get("type")), str(c.get("status")), str(c.get("reason", "")))
        for c in (body.get("status") or {}).get("conditions", [])
        if isinstance(c, Mapping)
    )
    base = ObjectView(
        kind=kind,
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        conditions=conditions,
        expires=_expires(spec.get("expires")),
    )
    if kind == "DatasetGrant":
        return ObjectView(
            **{
                **base.__dict__,
                "workspace": str(spec.get("workspace", "")),
                "dataset": str(spec.get("dataset", "")),
            }
        )
    try:
        ws = validate_workspace(base.name, dict(spec), now)
    except HavreError:
        return base
    quota = _quantity(ws.size.storage)
    running = query_engine and not (ws.spec.suspended or ws.expired)
    nodes = ws.size.workers + 1 if running else 0
    cpu = _quantity(ws.size.cpu) or Decimal(0)
    memory = _quantity(ws.size.memory) or Decimal(0)
    return ObjectView(
        **{
            **base.__dict__,
            "requested_cpu_cores": float(cpu * nodes),
            "requested_memory_bytes": float(memory * nodes),
            "quota_bytes": float(quota) if quota is not None else None,
        }
    )


class View:
    """Thread-safe store: watch handlers write, scrapes and reconciles read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str], ObjectView] = {}
        self._usage: dict[str, BucketUsage] = {}
        self._usage_updated: dt.datetime | None = None
        self._seen_ready: set[str] = set()

    def put(self, obj: ObjectView) -> None:
        with self._lock:
            self._objects[(obj.kind, obj.name)] = obj
            ready = obj.condition("Ready")
            if ready is not None and ready.status == "True":
                self._seen_ready.add(obj.uid)

    def remove(self, kind: str, name: str) -> None:
        with self._lock:
            gone = self._objects.pop((kind, name), None)
            if gone is not None:
                self._seen_ready.discard(gone.uid)

    def objects(self, kind: str | None = None) -> list[ObjectView]:
        with self._lock:
            return [o for o in self._objects.values() if kind is None or o.kind == kind]

    def first_ready(self, uid: str) -> bool:
        """True the first time ``uid`` is reported Ready (then never again)."""
        with self._lock:
            if uid in self._seen_ready:
                return False
            self._seen_ready.add(uid)
            return True

    def set_usage(self, usage: Mapping[str, BucketUsage], updated: dt.datetime | None) -> None:
        with self._lock:
            self._usage = dict(usage)
            self._usage_updated = updated

    def usage(self) -> tuple[dict[str, BucketUsage], dt.datetime | None]:
        with self._lock:
            return dict(self._usage), self._usage_updated


#: The operator's one view, shared by the watch handlers, the reconcile hooks and the scrape.
VIEW = View()
