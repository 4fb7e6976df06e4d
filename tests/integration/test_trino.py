"""A real Trino 476 of the devstack: TLS, password login and the memory catalog."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import trino
from trino.auth import BasicAuthentication
from trino.exceptions import HttpError, TrinoQueryError

from tests.integration.conftest import Platform
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def trino_info(platform: Platform) -> dict[str, Any]:
    return platform("trino")


def _connect(info: dict[str, Any], password: str) -> Any:
    """A DB-API connection (typed Any: the client's cursor methods carry no annotations)."""
    session = requests.Session()
    session.verify = info["ca"]
    # REQUESTS_CA_BUNDLE in the environment would otherwise replace session.verify.
    session.trust_env = False
    return trino.dbapi.Connection(
        host=info["host"],
        port=info["port"],
        user=info["user"],
        http_scheme="https",
        auth=BasicAuthentication(info["user"], password),
        http_session=session,
    )


@pytest.fixture
def cursor(trino_info: dict[str, Any]) -> Iterator[Any]:
    conn = _connect(trino_info, trino_info["password"])
    yield conn.cursor()
    conn.close()


def _run(cursor: Any, sql: str) -> Any:
    """Right after Trino starts, the memory catalog may not be announced by any node yet
    (NO_NODES_AVAILABLE although the coordinator is active): such a query, which never ran,
    is tried again."""
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    except TrinoQueryError as exc:
        if exc.error_name != "NO_NODES_AVAILABLE":
            raise
        return None


def test_admin_runs_a_query_over_verified_tls(cursor: Any) -> None:
    cursor.execute("SELECT 1")
    assert cursor.fetchall() == [[1]]


def test_rows_inserted_in_memory_catalog_are_read_back(cursor: Any) -> None:
    table = f"memory.default.visits_{uuid.uuid4().hex[:8]}"
    cursor.execute(f"CREATE TABLE {table} (id integer, site varchar)")
    cursor.fetchall()
    try:
        rows = "(1, 'lyon'), (2, 'brest'), (3, 'havre')"
        insert = f"INSERT INTO {table} VALUES {rows}"
        assert wait_for("the insert", lambda: _run(cursor, insert), 60) == [[3]]
        select = f"SELECT id, site FROM {table} ORDER BY id"
        read = wait_for("the rows", lambda: _run(cursor, select), 60)
        assert read == [[1, "lyon"], [2, "brest"], [3, "havre"]]
    finally:
        cursor.execute(f"DROP TABLE {table}")
        cursor.fetchall()


def test_wrong_password_is_rejected(trino_info: dict[str, Any]) -> None:
    conn = _connect(trino_info, trino_info["password"] + "x")
    with pytest.raises(HttpError, match="401"):
        conn.cursor().execute("SELECT 1")


def test_query_without_credentials_is_rejected(trino_info: dict[str, Any]) -> None:
    resp = requests.post(
        f"{trino_info['url']}/v1/statement",
        data="SELECT 1",
        headers={"X-Trino-User": trino_info["user"]},
        verify=trino_info["ca"],
        timeout=10,
    )
    assert resp.status_code == 401


def test_plain_http_with_valid_credentials_gets_no_answer(trino_info: dict[str, Any]) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"http://{trino_info['host']}:{trino_info['port']}/v1/statement",
            data="SELECT 1",
            auth=(trino_info["user"], trino_info["password"]),
            timeout=10,
        )
