"""The operator's side of the trail: decision records handed to the receiver without ever
holding up a reconcile.

``record`` only appends to an in-memory buffer; a thread of its own posts the buffer to
the receiver and drops what was accepted. While the receiver is unreachable the buffer
grows up to ``limit`` records (``audit.buffer_limit``, 10,000 by default); past it the
oldest record is dropped, counted (``havre_audit_decisions_dropped_total``) and reported
by ``on_drop`` (a Warning Event on the object). Revocation never waits on any of this.
The buffer lives in the operator's memory: records still in it when the operator stops
are lost (docs/audit.md).
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import urllib3

from havre.audit import metrics
from havre.audit.credentials import operator_credential

log = logging.getLogger(__name__)
BATCH = 100


class DecisionSender:
    """Buffers decisions and posts them to ``{base_url}/v1/decisions``."""

    def __init__(
        self,
        base_url: str,
        key: str,
        limit: int,
        ca_file: str | None = None,
        on_drop: Callable[[dict[str, Any]], None] = lambda _: None,
        timeout: float = 10.0,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/decisions"
        self._token = operator_credential(key)
        self.limit = limit
        self.on_drop = on_drop
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._stopped = False
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout * 3),
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_file,
            retries=False,
        )
        self._thread = threading.Thread(target=self._run, name="audit-sender", daemon=True)

    def __repr__(self) -> str:  # the credential must never reach a log line
        return f"DecisionSender(url={self.url!r}, buffered={len(self._buffer)})"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def record(self, *records: dict[str, Any]) -> None:
        """Queue decision records; never blocks on the receiver."""
        dropped = []
        with self._cond:
            for record in records:
                if len(self._buffer) >= self.limit:
                    dropped.append(self._buffer.popleft())
                self._buffer.append(record)
            metrics.DECISIONS_BUFFERED.set(len(self._buffer))
            self._cond.notify()
        for record in dropped:
            metrics.DECISIONS_DROPPED.inc()
            log.warning("audit buffer full: dropped decision %s", record.get("action"))
            try:
                self.on_drop(record)
            except Exception:  # reporting a drop must not break the reconcile
                log.exception("cannot report a dropped audit decision")

    def pending(self) -> int:
        with self._cond:
            return len(self._buffer)

    def _post(self, batch: list[dict[str, Any]]) -> bool:
        try:
            response = self._http.request(
                "POST",
                self.url,
                body=json.dumps({"records": batch}).encode(),
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json",
                },
            )
        except urllib3.exceptions.HTTPError as exc:
            log.warning("audit receiver unreachable: %s", type(exc).__name__)
            return False
        if response.status == 200:
            return True
        log.warning("audit receiver answered %s to %d decisions", response.status, len(batch))
        if 400 <= response.status < 500:
            # A refused body will never be accepted: keep it visible, do not loop on it.
            for record in batch:
                metrics.DECISIONS_DROPPED.inc()
                self.on_drop(record)
            return True
        return False

    def _run(self) -> None:
        delay = 1.0
        while True:
            with self._cond:
                while not self._buffer and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                batch = list(self._buffer)[:BATCH]
            if self._post(batch):
                metrics.DECISIONS_SENT.inc(len(batch))
                with self._cond:
                    for record in batch:
                        # Only what is still there: a full buffer may have dropped some.
                        if self._buffer and self._buffer[0] is record:
                            self._buffer.popleft()
                    metrics.DECISIONS_BUFFERED.set(len(self._buffer))
                delay = 1.0
            else:
                metrics.DECISION_SEND_FAILURES.inc()
                time.sleep(delay)
                delay = min(30.0, delay * 2)
