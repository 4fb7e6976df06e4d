"""What the catalog database client keeps between calls: a few idle connections to one
database (reused instead of opened per call), and which workspace roles it confirmed lately.

A profile of the operator provisioning workspaces put a tenth of its time in opening
connections to the catalog database: each call opened its own, with a TLS handshake and a
SCRAM login, about seven per workspace. The operator's admin calls on the maintenance
database now borrow one of at most ``size`` idle connections (one is opened when none is
idle) and give it back after a call that ended well; a call that failed closes its
connection, so nothing a failed statement left behind is ever reused. A connection idle for
more than ``check_after`` seconds is tested with a round trip before it is lent (the server
may have restarted or ended it meanwhile), and one idle for more than ``max_idle`` seconds
is closed instead, so a quiet operator soon holds none.

A workspace is reconciled several times while it is provisioned (its creation, then each
change of its Trino Deployments): each run connected to the workspace's database to check
its tables and privileges, and logged in as its role to check the password. A check that
went through is remembered (``Confirmations``) for ``ttl`` seconds, with a digest of the
password it confirmed: within that time the same request needs neither connection. Removing
access never consults it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq

Connection = psycopg.Connection[Any]


class ConnectionPool:
    """Thread-safe: each connection is lent to one caller at a time."""

    def __init__(
        self,
        connect: Callable[[], Connection],
        *,
        size: int = 4,
        check_after: float = 5.0,
        max_idle: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._size = size
        self._check_after = check_after
        self._max_idle = max_idle
        self._clock = clock
        self._lock = threading.Lock()
        #: Idle connections with the time they were given back, most recent last.
        self._idle: list[tuple[Connection, float]] = []

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A live connection, returned to the pool only if the block ended without error."""
        conn = self._take()
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        self._give_back(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def _take(self) -> Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            idle_for = self._clock() - since
            if idle_for > self._max_idle:
                conn.close()
            elif idle_for <= self._check_after or _alive(conn):
                return conn
        return self._connect()

    def _give_back(self, conn: Connection) -> None:
        usable = not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
        with self._lock:
            if usable and len(self._idle) < self._size:
                self._idle.append((conn, self._clock()))
                return
        conn.close()


def _alive(conn: Connection) -> bool:
    """One round trip; a connection that fails it is closed."""
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        conn.close()
        return False
    return True


class Confirmations:
    """Roles whose catalog, privileges and password were confirmed lately. Thread-safe."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[bytes, float]] = {}

    @staticmethod
    def _digest(enabled: bool, password: str) -> bytes:
        return hashlib.sha256(f"{enabled}:{password}".encode()).digest()

    def record(self, role: str, enabled: bool, password: str) -> None:
        with self._lock:
            self._seen[role] = (self._digest(enabled, password), self._clock())

    def forget(self, role: str) -> None:
        with self._lock:
            self._seen.pop(role, None)

    def fresh(self, role: str, enabled: bool, password: str) -> bool:
        """Whether this very request went through less than ``ttl`` seconds ago."""
        with self._lock:
            seen = self._seen.get(role)
        return (
            seen is not None
            and seen[0] == self._digest(enabled, password)
            and self._clock() - seen[1] < self._ttl
        )
