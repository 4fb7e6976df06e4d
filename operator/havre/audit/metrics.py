"""The audit trail's metrics (``havre_audit_*``).

The receiver's are on ``RECEIVER``, served on the receiver's metrics port (scrape job
``havre-audit``). The operator's decision sender's are on the
operator's own registry (``havre.metrics.definitions.REGISTRY``), served with the
operator's metrics (job ``havre-operator``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from havre.metrics.definitions import REGISTRY as OPERATOR

RECEIVER = CollectorRegistry()
ProcessCollector(registry=RECEIVER)

RECORDS_WRITTEN = Counter(
    "havre_audit_records_written_total",
    "Records written to the audit bucket.",
    ["kind"],
    registry=RECEIVER,
)
BATCHES_WRITTEN = Counter(
    "havre_audit_batches_written_total",
    "Batches written.",
    registry=RECEIVER,
)
WRITE_FAILURES = Counter(
    "havre_audit_write_failures_total",
    "Batches the object store did not take (retried).",
    registry=RECEIVER,
)
REFUSED = Counter(
    "havre_audit_requests_refused_total",
    "Requests the receiver refused, by reason (a bad or foreign credential, a bad body).",
    ["reason"],
    registry=RECEIVER,
)
PENDING = Gauge(
    "havre_audit_pending_records",
    "Records accepted but not yet written.",
    registry=RECEIVER,
)
LAST_WRITE = Gauge(
    "havre_audit_last_write_timestamp_seconds",
    "When the last batch was written (Unix time).",
    registry=RECEIVER,
)
LAG = Histogram(
    "havre_audit_receiver_lag_seconds",
    "From the event (a query's end, a decision) to its record written in the bucket.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
    registry=RECEIVER,
)
DECISIONS_BUFFERED = Gauge(
    "havre_audit_decisions_buffered",
    "Decision records the operator holds, not yet accepted.",
    registry=OPERATOR,
)
DECISIONS_SENT = Counter(
    "havre_audit_decisions_sent_total", "Decision records the receiver accepted.", registry=OPERATOR
)
DECISION_SEND_FAILURES = Counter(
    "havre_audit_decision_send_failures_total",
    "Failed attempts to hand decisions over.",
    registry=OPERATOR,
)
DECISIONS_DROPPED = Counter(
    "havre_audit_decisions_dropped_total",
    "Decision records dropped: the operator's buffer was full (oldest first), the receiver "
    "refused them, or they could not be queued.",
    registry=OPERATOR,
)
