"""An idle repair tick trusts the last clean reconcile only while nothing it depends on
changed and no audit is due; the clock alone (an expiry) is a change. No request either way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from havre.pipeline.ledger import Ledger
from havre.pipeline.records import StaticCatalogue
from tests.unit.conftest import NOW
from tests.unit.fakes import DOWN, api_server
from tests.unit.world import World, dataset_body, grant_body, workspace_body


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _recorded(world: World, ledger: Ledger, now: dt.datetime = NOW) -> None:
    outcome = world.reconcile(now)
    assert outcome.clean and outcome.refs is not None and outcome.validated is not None
    ledger.record(outcome.refs, outcome.validated)


def _catalogue(world: World, grants: list[dict[str, Any]] | None = None) -> StaticCatalogue:
    return StaticCatalogue.from_bodies(
        [world.body], world.datasets, world.grants if grants is None else grants
    )


def test_nothing_changed_means_no_request_until_the_audit_is_due() -> None:
    clock = Clock()
    with api_server() as api:
        world = World(api, datasets=[dataset_body("snds")], grants=[grant_body("g", "snds")])
        ledger = Ledger(audit_interval=600, clock=clock, jitter=lambda: 0.5)
        _recorded(world, ledger)
        before = len(api.requests)
        assert ledger.unchanged(world.body, _catalogue(world), NOW)
        assert len(api.requests) == before  # not a single request to know it
        clock.now += 599
        assert ledger.unchanged(world.body, _catalogue(world), NOW)
        clock.now += 2  # the audit is due: a full reconcile
        assert not ledger.unchanged(world.body, _catalogue(world), NOW)


def test_the_audit_period_is_jittered_around_its_mean() -> None:
    clock = Clock()
    with api_server() as api:
        world = World(api)
        early = Ledger(audit_interval=1000, clock=clock, jitter=lambda: 0.0)
        late = Ledger(audit_interval=1000, clock=clock, jitter=lambda: 1.0)
        _recorded(world, early)
        _recorded(world, late)
    clock.now += 801
    assert not early.unchanged(world.body, _catalogue(world), NOW)
    assert late.unchanged(world.body, _catalogue(world), NOW)
    clock.now += 400
    assert not late.unchanged(world.body, _catalogue(world), NOW)


def test_a_grant_deleted_or_added_or_a_spec_change_is_a_change() -> None:
    with api_server() as api:
        world = World(api, datasets=[dataset_body("snds")], grants=[grant_body("g", "snds")])
        ledger = Ledger(audit_interval=3600)
        _recorded(world, ledger)
    assert not ledger.unchanged(world.body, _catalogue(world, grants=[]), NOW)
    more = [*world.grants, grant_body("h", "snds")]
    assert not ledger.unchanged(world.body, _catalogue(world, grants=more), NOW)
    suspended = {**world.body, "spec": {**world.body["spec"], "suspended": True}}
    assert not ledger.unchanged(suspended, _catalogue(world), NOW)


def test_time_passing_an_expiry_is_a_change_without_any_event() -> None:
    with api_server() as api:
        ends = (NOW + dt.timedelta(minutes=5)).isoformat()
        grant = grant_body("g", "snds")
        grant["spec"]["expires"] = ends
        world = World(api, datasets=[dataset_body("snds")], grants=[grant])
        world.body["spec"]["expires"] = (NOW + dt.timedelta(days=30)).isoformat()
        ledger = Ledger(audit_interval=3600)
        _recorded(world, ledger)
    assert ledger.unchanged(world.body, _catalogue(world), NOW + dt.timedelta(minutes=4))
    assert not ledger.unchanged(world.body, _catalogue(world), NOW + dt.timedelta(minutes=6))
    # the workspace's own expiry likewise
    assert not ledger.unchanged(
        world.body, _catalogue(world, grants=[]), NOW + dt.timedelta(days=31)
    )


def test_a_recreated_namesake_or_a_forgotten_entry_is_reconciled_in_full() -> None:
    with api_server() as api:
        world = World(api)
        ledger = Ledger(audit_interval=3600)
        _recorded(world, ledger)
    namesake = workspace_body(uid="22222222-0000-0000-0000-000000000002")
    assert not ledger.unchanged(namesake, _catalogue(world), NOW)
    assert ledger.unchanged(world.body, _catalogue(world), NOW)
    ledger.forget("cardio")
    assert not ledger.unchanged(world.body, _catalogue(world), NOW)
    assert len(ledger) == 0


def test_a_run_that_did_not_go_through_is_not_clean() -> None:
    with api_server() as api:
        world = World(api)
        world.store.fail["bucket_owner"] = DOWN
        outcome = world.reconcile()
    assert not outcome.clean
