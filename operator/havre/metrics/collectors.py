"""Gauges computed at each scrape from the in-memory view: no API call, no store call.

Every family is emitted on every scrape, empty or not, so ``/metrics`` always lists each
name the dashboards and alerts may query. Per-object series carry only object names
(workspace, grant, dataset), never a user, a legal basis or an object key.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from havre.api import names
from havre.metrics.definitions import KINDS
from havre.metrics.view import ObjectView, View

_W = ["workspace"]
_G = ["grant", "workspace", "dataset"]
#: name, help, label names of every gauge this collector emits.
FAMILIES: tuple[tuple[str, str, list[str]], ...] = (
    ("havre_objects", "Objects by kind, condition and status.", ["kind", "condition", "status"]),
    ("havre_workspace_ready", "1 when the workspace is Ready; reason: why not.", [*_W, "reason"]),
    ("havre_grant_ready", "1 when the dataset grant is Ready (in force).", [*_G, "reason"]),
    ("havre_workspace_expiry_seconds", "Seconds until the workspace ends (absent after).", _W),
    ("havre_grant_expiry_seconds", "Seconds until the dataset grant ends (absent after).", _G),
    ("havre_workspace_requested_cpu_cores", "CPU its Trino pods request (0 if stopped).", _W),
    ("havre_workspace_requested_memory_bytes", "Memory its Trino pods request (0 if stopped).", _W),
    ("havre_workspace_storage_quota_bytes", "Hard quota of the workspace's bucket.", _W),
    ("havre_workspace_storage_used_bytes", "Bytes in the bucket, all versions (store count).", _W),
    ("havre_workspace_storage_objects", "Objects in the bucket (store's last count).", _W),
    ("havre_storage_usage_updated_timestamp_seconds", "When the store last counted usage.", []),
    ("havre_scheduled_expiries", "Queue depth: expiry timers armed (exact-time ends).", []),
)  # fmt: skip


def _families() -> dict[str, GaugeMetricFamily]:
    return {name: GaugeMetricFamily(name, doc, labels=labels) for name, doc, labels in FAMILIES}


def _ready(obj: ObjectView) -> tuple[float, str] | None:
    ready = obj.condition("Ready")
    if ready is None:
        return None
    return (1.0 if ready.status == "True" else 0.0), ready.reason or "Unknown"


class StateCollector(Collector):
    """Reads the view (and the scheduler's queue) when Prometheus scrapes."""

    def __init__(
        self,
        view: View,
        scheduled: Callable[[], int] = lambda: 0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._view = view
        self._scheduled = scheduled
        self._clock = clock

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from _families().values()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._clock()
        fam = _families()
        objects = self._view.objects()
        counts: Counter[tuple[str, str, str]] = Counter(
            {(kind, "Ready", status): 0 for kind in KINDS for status in ("True", "False")}
        )
        for obj in objects:
            for cond in obj.conditions:
                counts[(obj.kind, cond.type, cond.status)] += 1
        for labels, count in sorted(counts.items()):
            fam["havre_objects"].add_metric(list(labels), count)
        usage, updated = self._view.usage()
        for obj in objects:
            ready = _ready(obj)
            left = (obj.expires - now).total_seconds() if obj.expires is not None else None
            if obj.kind == "DatasetGrant":
                keys = [obj.name, obj.workspace, obj.dataset]
                if ready is not None:
                    fam["havre_grant_ready"].add_metric([*keys, ready[1]], ready[0])
                if left is not None and left > 0:
                    fam["havre_grant_expiry_seconds"].add_metric(keys, left)
                continue
            if ready is not None:
                fam["havre_workspace_ready"].add_metric([obj.name, ready[1]], ready[0])
            if left is not None and left > 0:
                fam["havre_workspace_expiry_seconds"].add_metric([obj.name], left)
            fam["havre_workspace_requested_cpu_cores"].add_metric(
                [obj.name], obj.requested_cpu_cores
            )
            fam["havre_workspace_requested_memory_bytes"].add_metric(
                [obj.name], obj.requested_memory_bytes
            )
            if obj.quota_bytes is not None:
                fam["havre_workspace_storage_quota_bytes"].add_metric([obj.name], obj.quota_bytes)
            bucket = usage.get(names.bucket(obj.name))
            if bucket is not None:
                fam["havre_workspace_storage_used_bytes"].add_metric([obj.name], bucket.bytes)
                fam["havre_workspace_storage_objects"].add_metric([obj.name], bucket.objects)
        if updated is not None:
            fam["havre_storage_usage_updated_timestamp_seconds"].add_metric([], updated.timestamp())
        fam["havre_scheduled_expiries"].add_metric([], self._scheduled())
        yield from fam.values()
