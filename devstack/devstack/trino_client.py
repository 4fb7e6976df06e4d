"""Talking to a local Trino: a member's Keycloak token, one statement over HTTPS."""

from __future__ import annotations

import time
from typing import Any

import requests
import trino
import trino.exceptions
from trino.auth import Authentication

from devstack.keycloak_clients import trino_openid


def keycloak_token(keycloak: dict[str, Any], user: str, password: str) -> str:
    """An access token of ``user`` for Trino (password grant, client ``trino``)."""
    openid = trino_openid(keycloak)
    access: str = openid.token(user, password)["access_token"]
    return access


def https_session(ca: str) -> requests.Session:
    """Verifies against ``ca``; REQUESTS_CA_BUNDLE in the environment would replace it."""
    session = requests.Session()
    session.verify = ca
    session.trust_env = False
    return session


def execute(
    port: int,
    session: requests.Session,
    user: str,
    statement: str,
    auth: Authentication | None = None,
    host: str = "localhost",
) -> list[list[Any]]:
    """Run one statement as ``user``; return its rows.

    A Trino that has just started may not have registered its workers yet ("No nodes
    available"): that, and only that, is retried for up to a minute.
    """
    deadline = time.monotonic() + 60
    while True:
        conn = trino.dbapi.Connection(
            host=host, port=port, user=user, http_scheme="https", auth=auth, http_session=session
        )
        try:
            cursor = conn.cursor()
            cursor.execute(statement)
            rows: list[list[Any]] = cursor.fetchall()
            return rows
        except trino.exceptions.TrinoQueryError as exc:
            if "No nodes available" not in str(exc) or time.monotonic() > deadline:
                raise
        finally:
            conn.close()  # type: ignore[no-untyped-call]
        time.sleep(0.5)
