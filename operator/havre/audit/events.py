"""Trino's query events, as its HTTP event listener posts them, turned into audit records.

Pure: the workspace comes from the caller's credential and the grants from the API server
(both handed in); nothing in the event names the workspace. Field names are those of the
Trino 476 SPI (``QueryCompletedEvent``, ``QueryCreatedEvent``) in its JSON form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from havre.api import names

#: Catalogs of the workspace itself (render/trino_access.py); every other one is a dataset's.
OWN_CATALOGS = frozenset({"workspace", "workspace_readonly"})
#: Trino's own catalogs: metadata, no data of anyone.
SYSTEM_CATALOGS = frozenset({"system", "information_schema"})
#: Trino's error code for an access control refusal (StandardErrorCode.PERMISSION_DENIED).
PERMISSION_DENIED = "PERMISSION_DENIED"
QUERY_TEXT_LIMIT = 20000


class EventError(ValueError):
    """The body is not a Trino query event."""


@dataclass(frozen=True)
class GrantInForce:
    """The DatasetGrant under which a workspace read a dataset at a given time."""

    dataset: str
    dataset_uid: str
    grant: str
    grant_uid: str
    legal_basis: str
    expires: str


@dataclass(frozen=True)
class Workspace:
    """The workspace a credential belongs to (read from the API server by its UID)."""

    name: str
    uid: str

    @property
    def environment(self) -> str:
        """The ``node.environment`` its Trino is rendered with (render/trino_config.py)."""
        return names.trino_environment(self.name)


#: (workspace, dataset catalog, time) -> the grant in force then, or None.
GrantLookup = Callable[[Workspace, str, dt.datetime], GrantInForce | None]


def parse_time(value: Any) -> dt.datetime:
    """An event timestamp (ISO 8601, as Trino's JSON codec writes Instants)."""
    if not isinstance(value, str):
        raise EventError(f"not a timestamp: {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventError(f"not a timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """UTC, RFC 3339 with milliseconds: the one time format of the trail."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_completed(event: Mapping[str, Any]) -> bool:
    """A completed event carries statistics; a created event does not."""
    return "statistics" in event


def event_environment(event: Mapping[str, Any]) -> str:
    context = event.get("context")
    if not isinstance(context, Mapping) or not isinstance(context.get("environment"), str):
        raise EventError("the event has no context.environment")
    return str(context["environment"])


def _person(context: Mapping[str, Any]) -> tuple[str, str | None]:
    # The principal is who signed in (the token's preferred_username); the session user
    # is who they asked to act as. Both are recorded when they differ.
    user = str(context.get("user") or "")
    principal = context.get("principal")
    person = str(principal) if principal else user
    return person, (user if user and user != person else None)


def _outcome(event: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
    failure = event.get("failureInfo")
    if not failure:
        return "finished", None
    code = failure.get("errorCode") or {}
    error = {
        "code": code.get("code"),
        "name": code.get("name"),
        "type": code.get("type"),
        "message": str(failure.get("failureMessage") or "")[:2000],
    }
    return ("denied" if code.get("name") == PERMISSION_DENIED else "failed"), error


def _table(
    entry: Mapping[str, Any],
    access: str,
    ws: Workspace,
    at: dt.datetime,
    lookup: GrantLookup,
) -> dict[str, Any]:
    catalog = str(entry.get("catalogName") or entry.get("catalog") or "")
    table: dict[str, Any] = {
        "catalog": catalog,
        "schema": entry.get("schema"),
        "table": entry.get("table"),
        "access": access,
        "dataset": None,
        "grant": None,
        "legalBasis": None,
    }
    if catalog in OWN_CATALOGS:
        table["dataset"] = None
        table["owner"] = "workspace"
    elif catalog in SYSTEM_CATALOGS:
        table["owner"] = "system"
    else:
        table["owner"] = "dataset"
        table["dataset"] = catalog.replace("_", "-")
        found = lookup(ws, catalog, at)
        if found is not None:
            table.update(
                dataset=found.dataset,
                datasetUid=found.dataset_uid,
                grant=found.grant,
                grantUid=found.grant_uid,
                legalBasis=found.legal_basis,
                grantExpires=found.expires,
            )
    for key, field in (("rows", "physicalInputRows"), ("bytes", "physicalInputBytes")):
        if isinstance(entry.get(field), int):
            table[key] = entry[field]
    return table


def _tables(
    event: Mapping[str, Any], ws: Workspace, at: dt.datetime, lookup: GrantLookup
) -> list[dict[str, Any]]:
    io = event.get("ioMetadata") or {}
    tables = [_table(i, "read", ws, at, lookup) for i in io.get("inputs") or []]
    if output := io.get("output"):
        tables.append(_table(output, "write", ws, at, lookup))
    seen = {(t["catalog"], t["schema"], t["table"], t["access"]) for t in tables}
    # Tables the analysis resolved but that produced no input (e.g. a failed query).
    for info in (event.get("metadata") or {}).get("tables") or []:
        key = (info.get("catalog"), info.get("schema"), info.get("table"))
        if not any(s[:3] == key for s in seen):
            tables.append(_table(info, "read", ws, at, lookup))
            seen.add((*key, "read"))
    return tables


def query_record(
    event: Mapping[str, Any], ws: Workspace, lookup: GrantLookup, now: dt.datetime
) -> dict[str, Any]:
    """The audit record of one completed query (``kind: query``)."""
    try:
        metadata = event["metadata"]
        context = event["context"]
        statistics = event["statistics"]
    except (KeyError, TypeError) as exc:
        raise EventError(f"not a completed query event: missing {exc}") from exc
    created = parse_time(event.get("createTime"))
    ended = parse_time(event.get("endTime")) if event.get("endTime") else created
    person, session_user = _person(context)
    outcome, error = _outcome(event)
    tables = _tables(event, ws, created, lookup)
    text = str(metadata.get("query") or "")
    record: dict[str, Any] = {
        "kind": "query",
        "time": iso(ended),
        "started": iso(created),
        "recorded": iso(now),
        "queryId": str(metadata.get("queryId") or ""),
        "person": person,
        "workspace": ws.name,
        "workspaceUid": ws.uid,
        "outcome": outcome,
        "error": error,
        "queryType": context.get("queryType"),
        "tables": tables,
        "catalogs": sorted({t["catalog"] for t in tables}),
        "datasets": sorted({t["dataset"] for t in tables if t["dataset"]}),
        "rows": int(statistics.get("totalRows") or 0),
        "bytes": int(statistics.get("totalBytes") or 0),
        "writtenRows": int(statistics.get("writtenRows") or 0),
        "writtenBytes": int(statistics.get("writtenBytes") or 0),
        "query": text[:QUERY_TEXT_LIMIT],
        "queryTruncated": len(text) > QUERY_TEXT_LIMIT,
        "source": context.get("source"),
        "clientAddress": context.get("remoteClientAddress"),
    }
    if session_user is not None:
        record["sessionUser"] = session_user
    return record


def created_record(event: Mapping[str, Any], ws: Workspace, now: dt.datetime) -> dict[str, Any]:
    """The audit record of a query's start (``kind: query-created``): a query whose
    completion never arrives (its coordinator died) still leaves who started it."""
    try:
        metadata = event["metadata"]
        context = event["context"]
    except (KeyError, TypeError) as exc:
        raise EventError(f"not a query created event: missing {exc}") from exc
    person, session_user = _person(context)
    record: dict[str, Any] = {
        "kind": "query-created",
        "time": iso(parse_time(event.get("createTime"))),
        "recorded": iso(now),
        "queryId": str(metadata.get("queryId") or ""),
        "person": person,
        "workspace": ws.name,
        "workspaceUid": ws.uid,
    }
    if session_user is not None:
        record["sessionUser"] = session_user
    return record
