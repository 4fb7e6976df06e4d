"""Every metric the operator defines, on one registry of its own.

Names follow Prometheus conventions: the ``havre_`` prefix, base units (seconds, bytes,
cores), ``_total`` for counters, ``_info`` for metadata. Label values are bounded: kinds,
results, reasons and operations come from Havre's code; the only object-derived values are
Workspace, DatasetGrant and Dataset names (bounded by the objects that exist). No user name,
legal basis, object key or secret ever becomes a label value.

The gauges that describe objects (conditions, expiry, usage) are not defined here: they are
computed at each scrape from the operator's in-memory view (``collectors``).
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)

# ``*_created`` series double the counters for no use on dashboards or alerts.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

#: Label names a Havre metric may carry; tests reject any other.
ALLOWED_LABELS = frozenset(
    {
        "kind",
        "result",
        "reason",
        "system",
        "operation",
        "cause",
        "resource",
        "condition",
        "status",
        "workspace",
        "grant",
        "dataset",
        "version",
        "kopf_version",
        "python_version",
        "le",
    }
)

BUILD_INFO = Gauge(
    "havre_build_info",
    "Always 1; the operator's version and the versions it runs on.",
    ["version", "kopf_version", "python_version"],
    registry=REGISTRY,
)

RECONCILES = Counter(
    "havre_reconciles_total",
    "Reconciles finished, by kind and result: ready, not_ready (an intended state such as "
    "suspended or expired), retry (a dependency is unavailable) or error.",
    ["kind", "result"],
    registry=REGISTRY,
)
RECONCILE_DURATION = Histogram(
    "havre_reconcile_duration_seconds",
    "Time one reconcile took, from reading the object to its status computed.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "havre_reconcile_errors_total",
    "Reconciles that ended in an error, by kind and the condition reason (CamelCase).",
    ["kind", "reason"],
    registry=REGISTRY,
)
TIME_TO_READY = Histogram(
    "havre_time_to_ready_seconds",
    "From an object's creation to the first time this operator saw it Ready.",
    ["kind"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge(
    "havre_reconciles_in_flight",
    "Queue depth: reconciles started and not finished, including those waiting for their "
    "workspace's lock (kopf itself exposes no queue).",
    ["kind"],
    registry=REGISTRY,
)

EXTERNAL_REQUESTS = Counter(
    "havre_external_requests_total",
    "Calls to an external system, by system and operation (the client method).",
    ["system", "operation"],
    registry=REGISTRY,
)
EXTERNAL_ERRORS = Counter(
    "havre_external_request_errors_total",
    "Calls to an external system that failed, by system, operation and error reason.",
    ["system", "operation", "reason"],
    registry=REGISTRY,
)
EXTERNAL_DURATION = Histogram(
    "havre_external_request_duration_seconds",
    "Time a call to an external system took, failed or not.",
    ["system", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
    registry=REGISTRY,
)
EXTERNAL_UP = Gauge(
    "havre_external_system_up",
    "1 when the last call to the system got an answer (even a refusal), 0 when the system "
    "could not be reached.",
    ["system"],
    registry=REGISTRY,
)

REVOCATIONS = Counter(
    "havre_revocations_total",
    "Access withdrawn, by the kind whose access ended and the cause "
    "(expired, deleted, suspended, rejected).",
    ["kind", "cause"],
    registry=REGISTRY,
)
REVOCATION_DELAY = Histogram(
    "havre_revocation_delay_seconds",
    "From the moment access had to end (expiry time, deletion request) to the reconcile "
    "that withdrew it having finished.",
    ["cause"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
DRIFT_REPAIRS = Counter(
    "havre_drift_repairs_total",
    "Objects the periodic repair had to write back because they differed from what Havre "
    "renders, by system and resource type.",
    ["system", "resource"],
    registry=REGISTRY,
)

KINDS = ("Workspace", "DatasetGrant")
REVOCATION_CAUSES = {
    "Workspace": ("expired", "suspended", "rejected"),
    "DatasetGrant": ("expired", "deleted"),
}


def initialise() -> None:
    """Every label set known in advance, at zero: the first event then shows as an
    increase (a series born at 1 is invisible to ``increase()`` and ``rate()``)."""
    for kind in KINDS:
        for result in ("ready", "not_ready", "retry", "error"):
            RECONCILES.labels(kind, result)
        RECONCILE_DURATION.labels(kind)
        TIME_TO_READY.labels(kind)
        IN_FLIGHT.labels(kind)
        for cause in REVOCATION_CAUSES[kind]:
            REVOCATIONS.labels(kind, cause)
            REVOCATION_DELAY.labels(cause)
