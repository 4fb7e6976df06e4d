"""Replicas with peering: the one started first acts, later ones wait."""

from __future__ import annotations

from havre.peering import start_priority


def test_an_earlier_started_replica_has_the_higher_priority() -> None:
    first = start_priority(now=1_800_000_000.000)
    second = start_priority(now=1_800_000_000.002)
    assert first > second


def test_replicas_started_a_millisecond_apart_do_not_tie() -> None:
    assert start_priority(now=1_800_000_000.001) != start_priority(now=1_800_000_000.002)
