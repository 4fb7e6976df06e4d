"""A Trino Deployment's watch event wakes a reconcile of its workspace only when what the
QueryEngine condition reads of it changed since a reconcile last saw it."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import kopf
import pytest

from havre import handlers
from havre.pipeline.apply_cluster import INSTANCE
from havre.pipeline.engine_availability import availability_signature
from tests.unit.fakes import api_server
from tests.unit.world import World


def _deployment(available: str = "False", observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": "trino-coordinator", "namespace": "ws-cardio", "generation": 1},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": observed,
            "conditions": [{"type": "Available", "status": available, "reason": "R"}],
        },
    }


def _event(ctx: handlers.Context, obj: dict[str, Any]) -> None:
    handlers.deployment_changed(
        event=cast(kopf.RawEvent, {"type": "MODIFIED", "object": obj}),
        labels=cast(kopf.Labels, {INSTANCE: "cardio"}),
        memo=kopf.Memo(ctx=ctx),
    )


def test_only_a_state_no_reconcile_saw_wakes_the_workspace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    woken: list[str] = []
    monkeypatch.setattr(handlers, "refresh_workspace", lambda ctx, name: woken.append(name))
    with api_server() as api:
        ctx = handlers.Context(World(api).platform)
        seen = _deployment()
        # As a reconcile leaves it: the Deployment as it wrote or found it.
        ctx.engine_seen["ws-cardio/trino-coordinator"] = availability_signature(seen)
        _event(ctx, seen)
        assert woken == []
        _event(ctx, _deployment(available="True"))
        assert woken == ["cardio"]
        _event(ctx, _deployment(available="True"))
        assert woken == ["cardio"]


def test_an_event_waits_for_the_reconcile_in_flight_which_may_have_seen_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    woken: list[str] = []
    monkeypatch.setattr(handlers, "refresh_workspace", lambda ctx, name: woken.append(name))
    with api_server() as api:
        ctx = handlers.Context(World(api).platform)
        state = _deployment(available="True")
        lock = ctx.lock("workspace/cardio")
        lock.acquire()  # a reconcile is running
        event = threading.Thread(target=_event, args=(ctx, state))
        event.start()
        time.sleep(0.2)  # let the event reach the lock: without it, it would wake now
        # The reconcile ends having reported this very state.
        ctx.engine_seen["ws-cardio/trino-coordinator"] = availability_signature(state)
        lock.release()
        event.join(timeout=10)
        assert woken == []
