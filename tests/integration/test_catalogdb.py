"""Catalog databases on a real PostgreSQL: what a workspace role can and cannot reach, as the
operator ensures workspaces and datasets and grants and revokes access. Each test runs with a
least-privileged admin and with the superuser."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from devstack.secrets import random_secret
from havre.api import names
from havre.errors import Pending
from tests.integration.catalogdb import INSERT_TABLE, Harness, superuser
from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration


def test_ensure_workspace_is_idempotent_and_its_role_writes_its_own_catalog(db: Harness) -> None:
    ws, password = db.name("ws"), random_secret()

    assert db.catalogs.ensure_workspace(ws, password) is True
    assert db.catalogs.ensure_workspace(ws, password) is False

    conn = db.login(ws, password, names.database(ws))
    conn.execute(INSERT_TABLE)
    conn.execute("UPDATE iceberg_tables SET previous_metadata_location = metadata_location")
    conn.execute(
        "INSERT INTO iceberg_namespace_properties VALUES ('workspace', 'cohort', 'exists', 'true')"
    )
    assert conn.execute("SELECT count(*) FROM iceberg_tables").fetchone() == (1,)
    conn.execute("CREATE TABLE scratch (id int)")
    conn.execute("DELETE FROM iceberg_tables")
    with pytest.raises(errors.InsufficientPrivilege, match="must be owner"):
        conn.execute("ALTER TABLE iceberg_tables DROP COLUMN iceberg_type")


def test_workspace_role_cannot_connect_to_another_workspace_database(db: Harness) -> None:
    a, b, password = db.name("a"), db.name("b"), random_secret()
    db.catalogs.ensure_workspace(a, password)
    db.catalogs.ensure_workspace(b, random_secret())

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        db.login(a, password, names.database(b))


def test_no_other_role_may_connect_to_catalog_databases(
    db: Harness, postgres_outsider: tuple[str, str]
) -> None:
    ws, ds = db.name("ws"), db.name("ds")
    db.catalogs.ensure_workspace(ws, random_secret())
    db.catalogs.ensure_dataset(ds)
    outsider, password = postgres_outsider

    for database in (names.database(ws), names.dataset_database(ds)):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(
                host=db.postgres["host"],
                port=db.postgres["port"],
                user=outsider,
                password=password,
                dbname=database,
                connect_timeout=5,
                **db.postgres["tls"],
            )


@pytest.fixture
def postgres_outsider(platform: Platform) -> Iterator[tuple[str, str]]:
    """A login role of someone else on the same server, granted nothing."""
    postgres: dict[str, Any] = platform("postgres")
    role, password = f"outsider_{uuid.uuid4().hex[:8]}", random_secret()
    with superuser(postgres) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    yield role, password
    with superuser(postgres) as conn:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_granted_workspace_reads_the_dataset_catalog_and_nothing_else(db: Harness) -> None:
    ws, ds, password = db.name("ws"), db.name("ds"), random_secret()
    db.catalogs.ensure_workspace(ws, password)
    assert db.catalogs.ensure_dataset(ds) is True
    assert db.catalogs.ensure_dataset(ds) is False
    db.as_superuser(sql.SQL(INSERT_TABLE), names.dataset_database(ds))

    assert db.catalogs.grant_dataset(ws, ds) is True
    assert db.catalogs.grant_dataset(ws, ds) is False
    assert db.catalogs.granted_datasets(ws) == {ds}

    conn = db.login(ws, password, names.dataset_database(ds))
    assert conn.execute("SELECT table_name FROM iceberg_tables").fetchall() == [("stays",)]
    conn.execute("SELECT * FROM iceberg_namespace_properties")
    for statement in (
        INSERT_TABLE,
        "UPDATE iceberg_tables SET metadata_location = 's3://elsewhere/x.json'",
        "DELETE FROM iceberg_tables",
        "TRUNCATE iceberg_namespace_properties",
        "ALTER TABLE iceberg_tables ADD COLUMN smuggled int",
        "CREATE TABLE smuggled (id int)",
        "CREATE TEMP TABLE smuggled (id int)",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_revoke_ends_dataset_access_at_once_even_for_an_open_session(db: Harness) -> None:
    ws, ds, password = db.name("ws"), db.name("ds"), random_secret()
    db.catalogs.ensure_workspace(ws, password)
    db.catalogs.ensure_dataset(ds)
    db.catalogs.grant_dataset(ws, ds)
    session = db.login(ws, password, names.dataset_database(ds))
    session.execute("SELECT count(*) FROM iceberg_tables")
    own = db.login(ws, password, names.database(ws))

    assert db.catalogs.revoke_dataset(ws, ds) is True

    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT count(*) FROM iceberg_tables")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        db.login(ws, password, names.dataset_database(ds))
    assert own.execute("SELECT 1").fetchone() == (1,), "the workspace's own session survives"
    assert db.catalogs.granted_datasets(ws) == frozenset()
    assert db.catalogs.revoke_dataset(ws, ds) is False


def test_a_half_done_revoke_is_still_listed_and_finished_by_the_next(db: Harness) -> None:
    ws, ds = db.name("ws"), db.name("ds")
    db.catalogs.ensure_workspace(ws, random_secret())
    db.catalogs.ensure_dataset(ds)
    db.catalogs.grant_dataset(ws, ds)
    db.as_superuser(
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(
            sql.Identifier(names.dataset_database(ds)), sql.Identifier(names.database(ws))
        )
    )

    assert db.catalogs.granted_datasets(ws) == {ds}
    assert db.catalogs.revoke_dataset(ws, ds) is True
    assert db.catalogs.granted_datasets(ws) == frozenset()


def test_grant_waits_for_the_workspace_and_the_dataset(db: Harness) -> None:
    ws, ds = db.name("ws"), db.name("ds")
    db.catalogs.ensure_dataset(ds)
    with pytest.raises(Pending):
        db.catalogs.grant_dataset(ws, ds)
    db.catalogs.ensure_workspace(ws, random_secret())
    with pytest.raises(Pending):
        db.catalogs.grant_dataset(ws, db.name("unpublished"))
