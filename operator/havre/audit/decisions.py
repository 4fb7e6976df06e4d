"""Decision records: what changed in who may access what, as the operator applies it.

Pure: from a Workspace's or DatasetGrant's spec before and after a change to the records
(``kind: decision``) the operator sends to the receiver. Who asked:

- ``spec.approval.by`` for approvals and rejections (admission checks it is the
  requester: attributable);
- for every other change, the receiver fills ``by`` from the API server's admission
  request for that object and generation (``requested`` below), when it saw it;
- ``spec.owner`` is recorded as the requester of a new workspace only as the owner named
  in it (admission checks the requester is the owner unless they may approve);
- expiry is decided by the clock: ``by`` is ``system:expiry``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from havre.audit.events import iso

SYSTEM_EXPIRY = "system:expiry"


def decision(
    action: str,
    obj: Mapping[str, Any],
    at: dt.datetime,
    *,
    by: str | None = None,
    attribution: str = "admission",
    generation: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One decision record about ``obj`` (a Workspace or DatasetGrant as read);
    ``generation``: the one the decision was made at, when not the object's current one."""
    meta = obj.get("metadata", {})
    spec = obj.get("spec", {})
    record: dict[str, Any] = {
        "kind": "decision",
        "time": iso(at),
        "action": action,
        "object": {
            "kind": obj.get("kind"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "generation": generation or meta.get("generation"),
        },
        "workspace": spec.get("workspace")
        if obj.get("kind") == "DatasetGrant"
        else meta.get("name"),
        "by": by,
        "attribution": attribution,
        "via": _manager(meta),
    }
    record.update({k: v for k, v in fields.items() if v is not None})
    record["decisionId"] = decision_id(record)
    return record


def decision_id(record: Mapping[str, Any]) -> str:
    """The same decision, sent twice (two operators during a rolling update, a retried
    handler), has the same id: the receiver writes it once."""
    obj = record.get("object") or {}
    key = [obj.get("uid"), obj.get("generation"), record.get("action"), record.get("member")]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def _manager(meta: Mapping[str, Any]) -> str | None:
    """The client (field manager) that last wrote the spec: not a person, a program."""
    latest: tuple[str, str] | None = None
    for entry in meta.get("managedFields") or []:
        if "f:spec" not in (entry.get("fieldsV1") or {}):
            continue
        when = str(entry.get("time") or "")
        if latest is None or when >= latest[0]:
            latest = (when, str(entry.get("manager") or ""))
    return latest[1] if latest else None


def _members(spec: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(m.get("user")): str(m.get("role")) for m in (spec or {}).get("members") or []}


def workspace_decisions(
    old: Mapping[str, Any] | None, obj: Mapping[str, Any], at: dt.datetime
) -> list[dict[str, Any]]:
    """Decisions in a Workspace change; ``old`` is the previous spec (None: just created)."""
    spec = obj.get("spec", {})
    records = []
    if old is None:
        records.append(
            decision(
                "workspace-requested",
                obj,
                at,
                # Created at generation 1, even when first seen after later changes: the
                # requester is the CREATE's user, not the approver's who changed it since.
                generation=1,
                owner=spec.get("owner"),
                title=spec.get("title"),
                expires=spec.get("expires"),
                members=[{"user": u, "role": r} for u, r in sorted(_members(spec).items())],
            )
        )
    approval, before = spec.get("approval") or {}, (old or {}).get("approval") or {}
    if approval.get("decision") and approval.get("decision") != before.get("decision"):
        records.append(
            decision(
                f"workspace-{str(approval['decision']).lower()}",
                obj,
                at,
                by=approval.get("by"),
                attribution="spec.approval.by",
                reason=approval.get("reason"),
            )
        )
    if old is not None:
        was, now = _members(old), _members(spec)
        for user in sorted(now.keys() - was.keys()):
            records.append(decision("member-added", obj, at, member=user, role=now[user]))
        for user in sorted(was.keys() - now.keys()):
            records.append(decision("member-removed", obj, at, member=user, role=was[user]))
        for user in sorted(u for u in now.keys() & was.keys() if now[u] != was[u]):
            records.append(
                decision("member-role-changed", obj, at, member=user, role=now[user], was=was[user])
            )
        if bool(spec.get("suspended")) != bool(old.get("suspended")):
            action = "workspace-suspended" if spec.get("suspended") else "workspace-resumed"
            records.append(decision(action, obj, at))
        if spec.get("expires") != old.get("expires"):
            records.append(
                decision(
                    "workspace-expiry-changed",
                    obj,
                    at,
                    expires=spec.get("expires"),
                    was=old.get("expires"),
                )
            )
    return records


def workspace_deleted(obj: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    spec = obj.get("spec", {})
    return decision(
        "workspace-deleted", obj, at, deletionPolicy=spec.get("deletionPolicy", "Retain")
    )


def workspace_expired(obj: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    return decision(
        "workspace-expired",
        obj,
        at,
        by=SYSTEM_EXPIRY,
        attribution="clock",
        expires=obj.get("spec", {}).get("expires"),
    )


def _grant_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec", {})
    return {
        "dataset": spec.get("dataset"),
        "legalBasis": spec.get("legalBasis"),
        "expires": spec.get("expires"),
    }


def grant_decisions(
    old: Mapping[str, Any] | None, obj: Mapping[str, Any], at: dt.datetime
) -> list[dict[str, Any]]:
    """Decisions in a DatasetGrant change; ``old`` is the previous spec (None: created)."""
    if old is None:
        return [
            decision(
                "grant-created",
                obj,
                at,
                generation=1,
                grant=obj["metadata"].get("name"),
                **_grant_fields(obj),
            )
        ]
    if obj.get("spec", {}).get("expires") != old.get("expires"):
        return [
            decision(
                "grant-expiry-changed",
                obj,
                at,
                grant=obj["metadata"].get("name"),
                was=old.get("expires"),
                **_grant_fields(obj),
            )
        ]
    return []


def grant_revoked(obj: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    return decision(
        "grant-revoked", obj, at, grant=obj["metadata"].get("name"), **_grant_fields(obj)
    )


def grant_expired(obj: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    return decision(
        "grant-expired",
        obj,
        at,
        by=SYSTEM_EXPIRY,
        attribution="clock",
        grant=obj["metadata"].get("name"),
        **_grant_fields(obj),
    )
