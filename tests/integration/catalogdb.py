"""The catalog database as tests see it: the operator's client under two kinds of admin, and
sessions as workspace roles, the way Trino's JDBC catalog opens them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql

from devstack.secrets import random_secret
from havre.api import names
from havre.external.catalogdb import CatalogDatabase
from havre.external.postgres import PostgresCatalogs

#: A least-privileged admin (what a platform should give the operator) and the superuser.
ADMINS = ["least-privileged", "superuser"]

#: The row Iceberg's JdbcCatalog writes when it registers a table.
INSERT_TABLE = (
    "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,"
    " previous_metadata_location, iceberg_type) VALUES ('workspace', 'cohort', 'stays',"
    " 's3://ws/cohort/stays/metadata/00000.metadata.json', null, 'TABLE')"
)


def superuser(postgres: dict[str, Any], dbname: str = "postgres") -> psycopg.Connection[Any]:
    """A session as the cluster's superuser, for what the test itself sets up or inspects."""
    return psycopg.connect(postgres["dsn"], dbname=dbname, autocommit=True)


@contextmanager
def admin_catalogs(postgres: dict[str, Any], kind: str) -> Iterator[CatalogDatabase]:
    """The operator's client, connected as the superuser or as a role holding only CREATEDB,
    CREATEROLE and pg_signal_backend (dropped afterwards with what it owns)."""
    host, port = postgres["host"], postgres["port"]
    if kind == "superuser":
        yield PostgresCatalogs(
            host, port, postgres["user"], postgres["password"], **postgres["tls"]
        )
        return
    role, password = f"havre_admin_{uuid.uuid4().hex[:8]}", random_secret()
    with superuser(postgres) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(sql.Identifier(role)))
    try:
        yield PostgresCatalogs(host, port, role, password, **postgres["tls"])
    finally:
        with superuser(postgres) as conn:
            owned = conn.execute(
                "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
                " WHERE r.rolname = %s",
                [role],
            ).fetchall()
            for (database,) in owned:
                conn.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database))
                )
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


class Harness:
    """Unique names, sessions as workspace roles, and cleanup of both when the test ends."""

    def __init__(self, postgres: dict[str, Any], catalogs: CatalogDatabase) -> None:
        self.postgres = postgres
        self.catalogs = catalogs
        self._names: list[str] = []
        self._sessions: list[psycopg.Connection[Any]] = []

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for session in self._sessions:
            session.close()
        for name in self._names:
            self.catalogs.drop_workspace(name)
        self.drop_datasets(*self._names)

    def name(self, label: str, fixed: str | None = None) -> str:
        """A workspace or dataset name unique to this test (or ``fixed``), dropped at the end."""
        self._names.append(fixed or f"t{uuid.uuid4().hex[:8]}-{label}")
        return self._names[-1]

    def drop_datasets(self, *datasets: str) -> None:
        """Drop dataset databases (the client has no such call: datasets are kept)."""
        with superuser(self.postgres) as conn:
            for dataset in datasets:
                database = sql.Identifier(names.dataset_database(dataset))
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))

    def login(self, workspace: str, password: str, dbname: str) -> psycopg.Connection[Any]:
        """A session as the workspace's role on ``dbname``."""
        conn = psycopg.connect(
            host=self.postgres["host"],
            port=self.postgres["port"],
            user=names.database(workspace),
            password=password,
            dbname=dbname,
            connect_timeout=5,
            autocommit=True,
            **self.postgres["tls"],
        )
        self._sessions.append(conn)
        return conn

    def role_exists(self, role: str) -> bool:
        with superuser(self.postgres) as conn:
            row = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        return row is not None

    def database_exists(self, database: str) -> bool:
        with superuser(self.postgres) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            return row.fetchone() is not None

    def as_superuser(self, statement: sql.SQL | sql.Composed, dbname: str = "postgres") -> None:
        """Change something behind the operator's back (drift), as the superuser."""
        with superuser(self.postgres, dbname) as conn:
            conn.execute(statement)
