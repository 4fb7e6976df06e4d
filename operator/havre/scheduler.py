"""Run a callback at an exact wall-clock time: how grants and workspaces end on time.

Handlers run in worker threads and (re)schedule from there; callbacks run in a worker
thread too, started from the operator's event loop. Scheduling the same key again replaces
the earlier timer, so every reconcile simply states "this object ends at T". Nothing is
persisted: after a restart, the resume handlers schedule everything again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor

#: A timer further away than this is re-armed later (by the next reconcile or by itself),
#: so that a long sleep never drifts from the wall clock.
MAX_SLEEP = 3600.0
_log = logging.getLogger("havre.scheduler")


class Scheduler:
    def __init__(self, executor: Executor | None = None) -> None:
        #: Where callbacks run (None: the loop's default executor). The operator gives its
        #: revocation threads: an expiry never queues behind provisioning.
        self._executor = executor
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the operator's event loop (at startup)."""
        self._loop = loop

    def at(self, key: str, when: dt.datetime, callback: Callable[[], object]) -> None:
        """Run ``callback`` at ``when`` (or at once if it has passed), replacing ``key``."""
        if self._loop is None:
            raise RuntimeError("scheduler used before the operator started")
        self._loop.call_soon_threadsafe(self._arm, key, when, callback)

    def cancel(self, key: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._disarm, key)

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._timers)

    def _arm(self, key: str, when: dt.datetime, callback: Callable[[], object]) -> None:
        assert self._loop is not None
        self._disarm(key)
        delay = (when - dt.datetime.now(dt.UTC)).total_seconds()
        if delay > MAX_SLEEP:
            handle = self._loop.call_later(MAX_SLEEP, self._arm, key, when, callback)
        else:
            handle = self._loop.call_later(max(0.0, delay), self._fire, key, callback)
        with self._lock:
            self._timers[key] = handle

    def _disarm(self, key: str) -> None:
        with self._lock:
            handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _fire(self, key: str, callback: Callable[[], object]) -> None:
        assert self._loop is not None
        with self._lock:
            self._timers.pop(key, None)
        task = self._loop.create_task(self._run(callback))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _run(self, callback: Callable[[], object]) -> None:
        assert self._loop is not None
        try:
            await self._loop.run_in_executor(self._executor, callback)
        except Exception:  # a failed expiry is retried by the repair timer; say so
            _log.exception("scheduled expiry failed; the repair timer will retry it")
