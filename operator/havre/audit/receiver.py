"""The audit receiver's HTTP API (HTTPS; aiohttp).

- ``POST /v1/events``: one Trino query event, from a workspace's HTTP event listener.
  The workspace is the one the credential names; an event whose ``context.environment``
  is not that workspace's Trino environment is refused (403), so one workspace's events
  cannot be written with another's credential.
- ``POST /v1/decisions``: ``{"records": [...]}`` decision records, from the operator;
  ``by`` is filled from the admission request observed for the same object (admission.py).
- ``POST /v1/admission``: the API server's AdmissionReview for a Havre object: written as
  a ``request`` record, always allowed.
- ``GET /healthz``: 200 while the batch writer runs.

A request is answered 200 only once its records are in the bucket; 503 when the object
store or the API server is unavailable (Trino's listener and the operator retry 5xx);
401/403/400 for a bad credential, a foreign event, a bad body (never retried).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from havre.audit import metrics
from havre.audit.admission import Observations, allow, observe
from havre.audit.credentials import Caller, verify_credential
from havre.audit.directory import Directory
from havre.audit.events import (
    EventError,
    Workspace,
    created_record,
    event_environment,
    is_completed,
    iso,
    query_record,
)
from havre.audit.store import StoreError
from havre.audit.writer import BatchWriter
from havre.errors import HavreError

log = logging.getLogger(__name__)
MAX_BODY = 8 * 2**20
WRITE_TIMEOUT = 25.0
#: The API server waits at most 5 s for the webhook; answer before it gives up.
ADMISSION_WAIT = 3.0
DECISION_FIELDS = frozenset({"kind", "time", "action"})


class RecentIds:
    """Keys of records already written (the latest ``limit``), so a decision or a query
    event sent twice (a retry after a 503 whose write landed late, two operators) is
    written once. A key is remembered only once its record is in the bucket: a failed
    write leaves the retry free to write it."""

    def __init__(self, limit: int = 10000) -> None:
        self._ids: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def seen(self, key: str) -> bool:
        with self._lock:
            return bool(key) and key in self._ids

    def remember(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                if key:
                    self._ids[key] = None
            while len(self._ids) > self.limit:
                self._ids.popitem(last=False)


@dataclass(frozen=True)
class Receiver:
    key: str
    directory: Directory
    writer: BatchWriter
    observations: Observations = field(default_factory=Observations)
    recent: RecentIds = field(default_factory=RecentIds)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


def _refuse(status: int, reason: str, message: str) -> web.Response:
    metrics.REFUSED.labels(reason).inc()
    return web.json_response({"reason": reason, "message": message}, status=status)


def _caller(receiver: Receiver, request: web.Request) -> Caller | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return verify_credential(receiver.key, token.strip())


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    return json.loads(raw)


def record_key(record: dict[str, Any]) -> str:
    """What makes a record the same one sent again ("" for records never deduplicated)."""
    if record.get("kind") == "decision":
        return str(record.get("decisionId") or "")
    if record.get("kind") in ("query", "query-created") and record.get("queryId"):
        return f"{record['kind']}:{record.get('workspaceUid')}:{record['queryId']}"
    return ""


async def _write(receiver: Receiver, records: list[dict[str, Any]]) -> web.Response:
    """Write the records not already written; answer once they are in the bucket. A
    caller that stops waiting (timeout) does not stop the write: once it lands, its
    keys are remembered, and the caller's retry is not written twice."""
    fresh = [r for r in records if not receiver.recent.seen(record_key(r))]
    if not fresh:
        return web.json_response({"written": 0})
    future = receiver.writer.submit(fresh)
    keys = [record_key(r) for r in fresh]
    future.add_done_callback(
        lambda f: (
            receiver.recent.remember(keys) if not f.cancelled() and f.exception() is None else None
        )
    )
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), WRITE_TIMEOUT)
    except StoreError as exc:
        return web.json_response({"reason": exc.reason, "message": str(exc)}, status=503)
    except TimeoutError:
        return web.json_response({"reason": "AuditWriteTimeout"}, status=503)
    return web.json_response({"written": len(records)})


async def events(request: web.Request) -> web.Response:
    receiver: Receiver = request.app["receiver"]
    caller = _caller(receiver, request)
    if caller is None or caller.kind != "workspace":
        return _refuse(401, "BadCredential", "a workspace credential is required")
    loop = asyncio.get_running_loop()
    try:
        ws: Workspace | None = await loop.run_in_executor(
            None, receiver.directory.workspace, caller.uid
        )
    except HavreError as exc:
        return web.json_response({"reason": exc.reason}, status=503)
    if ws is None:
        return _refuse(403, "UnknownWorkspace", "no Workspace has this credential's UID")
    try:
        event = await _body(request)
        if not isinstance(event, dict):
            raise EventError("the body is not a JSON object")
        if event_environment(event) != ws.environment:
            return _refuse(
                403,
                "ForeignWorkspace",
                f"the event comes from Trino environment {event_environment(event)!r}, "
                f"not from workspace {ws.name}'s",
            )
        now = receiver.clock()
        if is_completed(event):
            record = await loop.run_in_executor(
                None, query_record, event, ws, receiver.directory.grant_in_force, now
            )
        else:
            record = created_record(event, ws, now)
    except HavreError as exc:
        return web.json_response({"reason": exc.reason}, status=503)
    except (EventError, ValueError) as exc:
        return _refuse(400, "BadEvent", str(exc)[:500])
    return await _write(receiver, [record])


async def decisions(request: web.Request) -> web.Response:
    receiver: Receiver = request.app["receiver"]
    caller = _caller(receiver, request)
    if caller is None or caller.kind != "operator":
        return _refuse(401, "BadCredential", "the operator's credential is required")
    try:
        body = await _body(request)
        records = body["records"]
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and r.get("kind") == "decision" and r.keys() >= DECISION_FIELDS
            for r in records
        ):
            raise ValueError("records must be decision records (kind, time, action)")
    except (KeyError, TypeError, ValueError) as exc:
        return _refuse(400, "BadDecision", str(exc)[:500])
    recorded = iso(receiver.clock())
    attributed = [receiver.observations.attribute(r) for r in records]
    return await _write(receiver, [{**r, "recorded": recorded} for r in attributed])


async def admission(request: web.Request) -> web.Response:
    """The API server's admission request for a Havre object: observed, always allowed.
    The request is written as a ``request`` record before the answer (bounded wait)."""
    receiver: Receiver = request.app["receiver"]
    try:
        review = await _body(request)
        if not isinstance(review, dict):
            raise ValueError("not an AdmissionReview")
    except ValueError as exc:
        return _refuse(400, "BadAdmissionReview", str(exc)[:200])
    observation = observe(review, receiver.clock())
    if observation is not None:
        receiver.observations.add(observation)
        future = receiver.writer.submit([observation.record])
        with contextlib.suppress(Exception):
            # Shielded: the API server's deadline must not cancel the write itself.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), ADMISSION_WAIT)
    return web.json_response(allow(review))


async def healthz(request: web.Request) -> web.Response:
    receiver: Receiver = request.app["receiver"]
    alive = receiver.writer.alive()
    return web.json_response({"ok": alive}, status=200 if alive else 503)


#: Every reason a request is refused for, exported at 0 from the start (alerts need series).
REFUSAL_REASONS = (
    "BadCredential",
    "UnknownWorkspace",
    "ForeignWorkspace",
    "BadEvent",
    "BadDecision",
    "BadAdmissionReview",
)


def make_app(receiver: Receiver) -> web.Application:
    for reason in REFUSAL_REASONS:
        metrics.REFUSED.labels(reason)
    app = web.Application(client_max_size=MAX_BODY)
    app["receiver"] = receiver
    app.router.add_post("/v1/events", events)
    app.router.add_post("/v1/decisions", decisions)
    app.router.add_post("/v1/admission", admission)
    app.router.add_get("/healthz", healthz)
    return app
