"""Callbacks run at their time, rescheduling replaces, cancelling stops."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

from havre.scheduler import Scheduler


def _in(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


async def _settle(seconds: float) -> None:
    await asyncio.sleep(seconds)


def test_callback_runs_at_its_time_in_a_worker_thread() -> None:
    async def scenario() -> tuple[float, bool]:
        scheduler = Scheduler()
        scheduler.bind(asyncio.get_running_loop())
        fired = threading.Event()
        started = time.monotonic()
        main = threading.get_ident()
        ran_elsewhere: list[bool] = []

        def callback() -> None:
            ran_elsewhere.append(threading.get_ident() != main)
            fired.set()

        scheduler.at("k", _in(0.3), callback)
        while not fired.is_set():
            await _settle(0.01)
        return time.monotonic() - started, ran_elsewhere[0]

    elapsed, in_thread = asyncio.run(scenario())
    assert 0.25 <= elapsed < 1.0
    assert in_thread


def test_rescheduling_a_key_replaces_the_earlier_time_and_cancel_stops_it() -> None:
    async def scenario() -> list[str]:
        scheduler = Scheduler()
        scheduler.bind(asyncio.get_running_loop())
        calls: list[str] = []
        scheduler.at("a", _in(0.1), lambda: calls.append("first"))
        scheduler.at("a", _in(0.2), lambda: calls.append("second"))
        scheduler.at("b", _in(0.1), lambda: calls.append("cancelled"))
        scheduler.cancel("b")
        await _settle(0.5)
        assert scheduler.pending() == []
        return calls

    assert asyncio.run(scenario()) == ["second"]


def test_past_time_runs_at_once() -> None:
    async def scenario() -> list[int]:
        scheduler = Scheduler()
        scheduler.bind(asyncio.get_running_loop())
        calls: list[int] = []
        scheduler.at("late", _in(-10), lambda: calls.append(1))
        await _settle(0.2)
        return calls

    assert asyncio.run(scenario()) == [1]


def test_callbacks_run_on_the_given_threads_even_when_the_default_ones_are_busy() -> None:
    """The operator gives its revocation threads: an expiry never waits for a free thread
    of the loop's default executor (nor of kopf's)."""
    from concurrent.futures import ThreadPoolExecutor

    async def scenario() -> str:
        loop = asyncio.get_running_loop()
        busy = ThreadPoolExecutor(max_workers=1)
        loop.set_default_executor(busy)
        release = threading.Event()
        blocked = loop.run_in_executor(None, release.wait)  # the default thread is taken
        revocations = ThreadPoolExecutor(max_workers=1, thread_name_prefix="revocation")
        scheduler = Scheduler(revocations)
        scheduler.bind(loop)
        names: list[str] = []
        fired = threading.Event()

        def callback() -> None:
            names.append(threading.current_thread().name)
            fired.set()

        scheduler.at("k", _in(0.05), callback)
        deadline = time.monotonic() + 5
        while not fired.is_set() and time.monotonic() < deadline:
            await _settle(0.01)
        release.set()
        await blocked
        return names[0] if names else ""

    assert asyncio.run(scenario()).startswith("revocation")
