"""Group commit: records wait in memory, one thread writes them as batches, and each
caller learns when (and whether) its records are in the bucket.

A request is answered only after its records are written, so a record Trino or the
operator was told "accepted" is in the locked bucket; a failed write fails the
requests (Trino and the operator then retry). The chain's tail is read from the store at
start and again after any failure, so a write whose answer was lost is not repeated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any

from havre.audit import metrics
from havre.audit.events import parse_time
from havre.audit.store import AuditStore, StoreError, Tail
from havre.audit.trail import GENESIS, digest, encode_batch

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    records: Sequence[dict[str, Any]]
    done: Future[None]

    def settle(self, error: BaseException | None) -> None:
        """Tell the caller; one who stopped waiting (cancelled) is not told, and that must
        never stop the writer."""
        with contextlib.suppress(InvalidStateError):
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)


class BatchWriter:
    """Writes submitted records as chained batches, at most every ``interval`` seconds."""

    def __init__(
        self,
        store: AuditStore,
        interval: float = 0.5,
        max_records: int = 1000,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.interval = interval
        self.max_records = max_records
        self.clock = clock
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._tail: Tail | None = None
        self._synced = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=30)

    def submit(self, records: Sequence[dict[str, Any]]) -> Future[None]:
        """Queue ``records``; the future completes once they are written (or fails)."""
        done: Future[None] = Future()
        if not records:
            done.set_result(None)
            return done
        with self._cond:
            self._queue.append(_Pending(records, done))
            metrics.PENDING.inc(len(records))
            self._cond.notify()
        return done

    def _take(self) -> list[_Pending]:
        with self._cond:
            while not self._queue and not self._stop:
                self._cond.wait()
            if not self._queue:
                return []
        time.sleep(self.interval)  # let more requests join this batch
        with self._cond:
            taken: list[_Pending] = []
            count = 0
            while self._queue and (
                not taken or count + len(self._queue[0].records) <= self.max_records
            ):
                item = self._queue.pop(0)
                taken.append(item)
                count += len(item.records)
            return taken

    def _run(self) -> None:
        while True:
            taken = self._take()
            if not taken:
                return
            records = [r for item in taken for r in item.records]
            error: BaseException | None = None
            try:
                self._write(records)
            except StoreError as exc:
                log.warning("audit batch not written (%s): %s", exc.reason, exc)
                error = exc
            except Exception as exc:  # the writer thread must outlive any one batch
                log.exception("audit batch not written")
                error = StoreError(f"{type(exc).__name__}: {exc}", "AuditWriteFailed")
            finally:
                metrics.PENDING.dec(len(records))
            if error is not None:
                metrics.WRITE_FAILURES.inc()
                self._synced = False  # re-read the tail: the write may have landed
            for item in taken:
                item.settle(error)

    def _write(self, records: list[dict[str, Any]]) -> None:
        if not self._synced:
            self._tail = self.store.tail()
            self._synced = True
        sequence = 0 if self._tail is None else self._tail.sequence + 1
        previous = GENESIS if self._tail is None else self._tail.hash
        now = self.clock()
        data = encode_batch(sequence, previous, records, now)
        self.store.put_batch(sequence, data, now)
        self._tail = Tail(sequence, digest(data))
        metrics.BATCHES_WRITTEN.inc()
        metrics.LAST_WRITE.set(now.timestamp())
        for record in records:
            metrics.RECORDS_WRITTEN.labels(record.get("kind", "unknown")).inc()
            with contextlib.suppress(KeyError, ValueError):
                metrics.LAG.observe(max(0.0, (now - parse_time(record["time"])).total_seconds()))
