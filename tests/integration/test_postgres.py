"""PostgreSQL keeps a role to the databases it may connect to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from devstack.secrets import random_secret
from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres(platform: Platform) -> dict[str, Any]:
    return platform("postgres")


@pytest.fixture
def workspace_role(postgres: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """A login role owning one database, and a second database it was not granted."""
    suffix = uuid.uuid4().hex[:8]
    role, password = f"researcher_{suffix}", random_secret()
    own, other = f"ws_{suffix}", f"other_{suffix}"
    with psycopg.connect(postgres["dsn"], autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(*map(sql.Identifier, (own, role)))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(other)))
        for database in (own, other):
            admin.execute(
                sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(
                    sql.Identifier(database)
                )
            )
    yield role, password, own, other
    with psycopg.connect(postgres["dsn"], autocommit=True) as admin:
        for database in (own, other):
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_role_connects_to_its_own_database_only(
    postgres: dict[str, Any], workspace_role: tuple[str, str, str, str]
) -> None:
    role, password, own, other = workspace_role
    params = {
        "host": postgres["host"],
        "port": postgres["port"],
        "user": role,
        "password": password,
        **postgres["tls"],
    }

    with psycopg.connect(**params, dbname=own, connect_timeout=5) as conn:
        conn.execute("CREATE TABLE cohort (id int)")
        assert conn.execute("SELECT current_database(), current_user").fetchone() == (own, role)

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(**params, dbname=other, connect_timeout=5)


def test_wrong_password_is_refused(postgres: dict[str, Any]) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=postgres["host"],
            port=postgres["port"],
            user=postgres["user"],
            password="not-" + postgres["password"],
            dbname="postgres",
            connect_timeout=5,
            **postgres["tls"],
        )
