"""Where the operator's handlers hand decisions to the trail: one call per place a
decision is applied, each a no-op when no audit trail is configured."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from havre.audit import decisions
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def workspace_changed(
    sender: DecisionSender | None, reason: str | None, old: Any, body: Mapping[str, Any]
) -> None:
    """A Workspace was created or its spec changed (kopf's create/update)."""
    if sender is None or reason not in ("create", "update"):
        return
    before = old if reason == "update" and isinstance(old, Mapping) else None
    sender.record(*decisions.workspace_decisions(before, body, _now()))


def _became(old_status: Mapping[str, Any], new_status: Mapping[str, Any], type_: str) -> bool:
    def reason(status: Mapping[str, Any]) -> str | None:
        for cond in status.get("conditions") or []:
            if cond.get("type") == type_:
                return str(cond.get("reason"))
        return None

    return reason(new_status) == "Expired" and reason(old_status) != "Expired"


def workspace_status(
    sender: DecisionSender | None, obj: Mapping[str, Any], new_status: Mapping[str, Any]
) -> None:
    """The reconcile's new status: the workspace's authorisation has just ended."""
    if sender is not None and _became(obj.get("status") or {}, new_status, "Access"):
        sender.record(decisions.workspace_expired(obj, _now()))


def workspace_deleted(sender: DecisionSender | None, body: Mapping[str, Any]) -> None:
    if sender is not None:
        sender.record(decisions.workspace_deleted(body, _now()))


def grant_changed(
    sender: DecisionSender | None, reason: str | None, old: Any, body: Mapping[str, Any]
) -> None:
    if sender is None or reason not in ("create", "update"):
        return
    before = old if reason == "update" and isinstance(old, Mapping) else None
    sender.record(*decisions.grant_decisions(before, body, _now()))


def grant_status(
    sender: DecisionSender | None, obj: Mapping[str, Any], new_status: Mapping[str, Any]
) -> None:
    if sender is not None and _became(obj.get("status") or {}, new_status, "Active"):
        sender.record(decisions.grant_expired(obj, _now()))


def grant_deleted(sender: DecisionSender | None, body: Mapping[str, Any]) -> None:
    if sender is not None:
        sender.record(decisions.grant_revoked(body, _now()))
