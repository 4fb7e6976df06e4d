"""The operator's decision sender, built from the settings, and the Warning Event it posts
when its full buffer drops a decision. Which decisions are recorded, and where, is the
pipeline's (``pipeline/apply_audit.py``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from havre.audit.sender import DecisionSender
from havre.errors import HavreError
from havre.kube.cluster import Cluster
from havre.settings import Settings

log = logging.getLogger(__name__)
OVERFLOW_REASON = "AuditBufferOverflow"


def warn_dropped(cluster: Cluster, record: Mapping[str, Any]) -> None:
    """A Warning Event on the object whose decision the full buffer dropped."""
    obj = record.get("object") or {}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": "havre-audit-", "namespace": "default"},
        "involvedObject": {
            "apiVersion": "havre.io/v1alpha1",
            "kind": obj.get("kind"),
            "name": obj.get("name"),
            "uid": obj.get("uid"),
        },
        "type": "Warning",
        "reason": OVERFLOW_REASON,
        "message": f"The audit receiver is unreachable and the operator's buffer is full: "
        f"the decision {record.get('action')} was not recorded.",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "source": {"component": "havre"},
    }
    try:
        cluster.request("POST", "/api/v1/namespaces/default/events", body=event)
    except HavreError as exc:
        log.warning("cannot post %s: %s", OVERFLOW_REASON, exc)


def decision_sender(settings: Settings, cluster: Cluster) -> DecisionSender | None:
    """The operator's sender, started; None when the settings name no audit trail."""
    audit = settings.audit
    if audit is None:
        return None
    sender = DecisionSender(
        audit.operator_base,
        audit.key.get_secret_value(),
        audit.buffer_limit,
        ca_file=audit.ca_file,
        on_drop=lambda record: warn_dropped(cluster, record),
    )
    sender.start()
    return sender
