"""The receiver's batch writer outlives callers that stop waiting and batches that fail."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, cast

from havre.audit.store import AuditStore, StoreError, Tail
from havre.audit.writer import BatchWriter


class SlowStore:
    """Holds each batch until released; fails the batches listed in ``fail``."""

    def __init__(self, fail: tuple[int, ...] = ()) -> None:
        self.release = threading.Event()
        self.batches: list[int] = []
        self.fail = list(fail)

    def tail(self) -> Tail | None:
        return None if not self.batches else Tail(self.batches[-1], "h")

    def put_batch(self, sequence: int, data: bytes, now: dt.datetime) -> None:
        self.release.wait(10)
        if self.fail and self.fail[0] == len(self.batches):
            self.fail.pop(0)
            raise RuntimeError("connection reset")
        self.batches.append(sequence)


def _writer(store: SlowStore) -> BatchWriter:
    writer = BatchWriter(cast(AuditStore, store), interval=0.01)
    writer.start()
    return writer


RECORD: dict[str, Any] = {"kind": "request", "time": "2026-11-30T10:00:00Z"}


def test_a_caller_that_stopped_waiting_does_not_stop_the_writer() -> None:
    store = SlowStore()
    writer = _writer(store)
    abandoned = writer.submit([RECORD])
    abandoned.cancel()  # the API server's deadline passed
    store.release.set()
    later = writer.submit([RECORD])
    later.result(timeout=10)
    assert writer.alive()
    assert store.batches == [0, 1] or store.batches == [0]
    writer.stop()


def test_an_unexpected_failure_fails_its_batch_and_the_next_one_is_written() -> None:
    store = SlowStore(fail=(0,))
    store.release.set()
    writer = _writer(store)
    first = writer.submit([RECORD])
    error = first.exception(timeout=10)
    assert isinstance(error, StoreError) and error.reason == "AuditWriteFailed"
    writer.submit([RECORD]).result(timeout=10)
    assert writer.alive() and store.batches == [0]
    writer.stop()
