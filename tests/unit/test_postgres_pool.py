"""The catalog database client's memory between calls: idle admin connections reused (and
never one that failed, went stale or died), and roles confirmed lately."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import pytest
from psycopg import pq

from havre.external.postgres_pool import Confirmations, ConnectionPool


@dataclass
class _Info:
    transaction_status: pq.TransactionStatus = pq.TransactionStatus.IDLE


@dataclass
class _Conn:
    number: int
    dead: bool = False
    closed: bool = False
    info: _Info = field(default_factory=_Info)
    pings: int = 0

    def execute(self, statement: str) -> None:
        self.pings += 1
        if self.dead:
            raise psycopg.OperationalError("server closed the connection")

    def close(self) -> None:
        self.closed = True


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _pool(clock: _Clock, opened: list[_Conn], size: int = 2) -> ConnectionPool:
    def connect() -> psycopg.Connection[Any]:
        opened.append(_Conn(len(opened)))
        return cast(psycopg.Connection[Any], opened[-1])

    return ConnectionPool(connect, size=size, check_after=5, max_idle=60, clock=clock)


@contextmanager
def lent(pool: ConnectionPool) -> Iterator[_Conn]:
    with pool.connection() as conn:
        yield cast(_Conn, conn)


def test_a_connection_given_back_is_lent_again_without_a_check() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened)
    with lent(pool) as first:
        pass
    with lent(pool) as second:
        assert second is first
    assert len(opened) == 1 and first.pings == 0


def test_a_failed_call_closes_its_connection() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened)
    with pytest.raises(RuntimeError), lent(pool):
        raise RuntimeError("statement failed")
    assert opened[0].closed and pool.idle == 0


def test_a_connection_left_in_a_transaction_is_not_kept() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened)
    with lent(pool) as conn:
        conn.info.transaction_status = pq.TransactionStatus.INTRANS
    assert conn.closed and pool.idle == 0


def test_an_idle_connection_is_checked_and_a_dead_one_replaced() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened)
    with lent(pool) as conn:
        pass
    clock.now = 10  # idle past check_after: one round trip first
    conn.dead = True
    with lent(pool) as fresh:
        assert fresh is not conn
    assert conn.closed and conn.pings == 1 and len(opened) == 2


def test_a_long_idle_connection_is_closed_not_lent() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened)
    with lent(pool) as conn:
        pass
    clock.now = 61
    with lent(pool) as fresh:
        assert fresh is not conn
    assert conn.closed and conn.pings == 0


def test_at_most_size_connections_are_kept_and_close_empties_the_pool() -> None:
    clock, opened = _Clock(), cast(list[_Conn], [])
    pool = _pool(clock, opened, size=2)
    with lent(pool), lent(pool), lent(pool):
        pass
    assert len(opened) == 3 and pool.idle == 2 and sum(c.closed for c in opened) == 1
    pool.close()
    assert pool.idle == 0 and all(c.closed for c in opened)


def test_a_confirmation_holds_for_the_same_request_until_it_expires() -> None:
    clock = _Clock()
    confirmed = Confirmations(ttl=300, clock=clock)
    confirmed.record("ws_cardio", True, "secret")
    assert confirmed.fresh("ws_cardio", True, "secret")
    assert not confirmed.fresh("ws_cardio", True, "another password")
    assert not confirmed.fresh("ws_cardio", False, "secret")
    assert not confirmed.fresh("ws_onco", True, "secret")
    clock.now = 301
    assert not confirmed.fresh("ws_cardio", True, "secret")
    confirmed.record("ws_cardio", True, "secret")
    confirmed.forget("ws_cardio")
    assert not confirmed.fresh("ws_cardio", True, "secret")
