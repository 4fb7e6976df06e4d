"""``CatalogDatabase`` on PostgreSQL with psycopg 3 (see ``catalogdb`` for what it keeps).

What the server does that shapes this code (PostgreSQL 15, psycopg 3.3.9):
- ``CREATE DATABASE`` and ``DROP DATABASE`` cannot run inside a transaction: connections are
  in autocommit and group the other statements in explicit transactions;
- ``NOLOGIN`` refuses new sessions but keeps open ones: revocations end them with
  ``pg_terminate_backend(pid, timeout)`` (PostgreSQL 14+), which waits for the exit;
- privileges inside a database can only be changed while connected to it; ``pg_shdepend``
  lists, from anywhere, the databases where a role holds something.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors, sql

from havre.api import names
from havre.errors import DependencyUnavailable, Pending
from havre.external import catalogdb_sql as q
from havre.external import postgres_grant_roles
from havre.external.catalogdb import UNAVAILABLE, check_names
from havre.external.ownership import Recorded, record, recorded_uid
from havre.external.postgres_pool import Confirmations, ConnectionPool


class PostgresCatalogs:
    """``CatalogDatabase`` on a PostgreSQL server as the operator's admin role. Calls on the
    maintenance database reuse a few idle connections (``postgres_pool``); a workspace's or
    a dataset's database is connected to only for the call that needs it (so that nothing of
    ours holds it open when it is dropped). The admin password appears in no repr or
    message."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        maintenance_db: str = "postgres",
        sslmode: str = "verify-full",
        sslrootcert: str | None = None,
        connect_timeout: int = 10,
        statement_timeout_ms: int = 60_000,
    ) -> None:
        self._endpoint, self._user, self._password = f"{host}:{port}", user, password
        self._maintenance = maintenance_db
        self._common: dict[str, Any] = {
            "host": host,
            "port": port,
            "connect_timeout": connect_timeout,
            "application_name": "havre-operator",
            "sslmode": sslmode,
            **({"sslrootcert": sslrootcert} if sslrootcert else {}),
        }
        # A reconcile must fail and retry, not hang, when a lock is held or the server stalls.
        self._options = f"-c statement_timeout={statement_timeout_ms} -c lock_timeout=10000"
        self._pool = ConnectionPool(lambda: self._open(self._maintenance))
        self._confirmed = Confirmations()

    def __repr__(self) -> str:
        return f"PostgresCatalogs(endpoint={self.endpoint!r}, user={self._user!r})"

    @property
    def endpoint(self) -> str:
        """``host:port`` of the server."""
        return self._endpoint

    # Workspaces

    def workspace_owner(self, workspace: str) -> tuple[Recorded, Recorded]:
        """Whether the role and the database exist, and the owners their comments record."""
        check_names(workspace)
        role = database = names.database(workspace)
        action = f"reading the owner of workspace {workspace}"
        with self._translated(action), self._connect() as conn:
            row = conn.execute(q.OWNER_QUERY, [role, database]).fetchone()
        assert row is not None
        return (
            Recorded(f"catalog role {role}", bool(row[0]), recorded_uid(row[1])),
            Recorded(f"catalog database {database}", bool(row[2]), recorded_uid(row[3])),
        )

    def workspaces(self) -> list[str]:
        """Names of the workspaces that have a role or a database here, sorted."""
        with self._translated("listing workspace catalogs"), self._connect() as conn:
            rows = conn.execute(q.WORKSPACE_NAMES_QUERY).fetchall()
        return sorted({w for (name,) in rows if (w := q.workspace_of(name))})

    def set_workspace_owner(self, workspace: str, uid: str) -> bool:
        """Record ``uid`` on the role and the database that exist. True if changed."""
        role_record, database_record = self.workspace_owner(workspace)
        role = database = names.database(workspace)
        changed = False
        action = f"recording the owner of workspace {workspace}"
        with self._translated(action), self._connect() as conn:
            if role_record.exists and role_record.uid != uid:
                conn.execute(q.comment_on("ROLE", role, record(uid)))
                changed = True
            if database_record.exists and database_record.uid != uid:
                conn.execute(q.comment_on("DATABASE", database, record(uid)))
                changed = True
        return changed

    def ensure_workspace(
        self, workspace: str, password: str, *, enabled: bool = True, owner: str = ""
    ) -> bool:
        """Create or repair role, database, catalog tables and privileges; record ``owner``.
        True if changed."""
        check_names(workspace)
        role = database = names.database(workspace)
        with self._translated(f"ensuring catalog of workspace {workspace}"):
            with self._connect() as conn:
                state = conn.execute(q.ROLE_QUERY, [role]).fetchone()
                if state is None:
                    # The role records its owner from its first moment: nothing unrecorded
                    # is ever left behind by an interruption.
                    with conn.transaction():
                        conn.execute(
                            q.create_role(role, self._verifier(conn, role, password), enabled)
                        )
                        if owner:
                            conn.execute(q.comment_on("ROLE", role, record(owner)))
                elif state != (enabled, False):
                    # Re-enabling resets the password in the same statement, as MinIO users.
                    verifier = self._verifier(conn, role, password) if enabled else None
                    conn.execute(q.alter_role(role, enabled, verifier))
                    if not enabled:
                        self._terminate(conn, role)
                created = self._ensure_database(conn, database)
                if created and owner:
                    conn.execute(q.comment_on("DATABASE", database, record(owner)))
            changed = state != (enabled, False) or created
            if not changed and self._confirmed.fresh(role, enabled, password):
                return False  # tables, privileges and password confirmed a moment ago
            with self._connect(database) as conn:
                changed |= self._ensure_catalog(conn, database, role, every_table=False)
            if enabled and state == (True, False) and not self._password_works(role, password):
                with self._connect() as conn:
                    conn.execute(q.alter_role(role, True, self._verifier(conn, role, password)))
                changed = True
        self._confirmed.record(role, enabled, password)
        return changed

    def disable_workspace(self, workspace: str) -> bool:
        """NOLOGIN and end the role's sessions. True if changed."""
        return self._set_login(workspace, False)

    def enable_workspace(self, workspace: str) -> bool:
        """LOGIN again. True if changed."""
        return self._set_login(workspace, True)

    def _set_login(self, workspace: str, login: bool) -> bool:
        check_names(workspace)
        role = names.database(workspace)
        self._confirmed.forget(role)
        action = f"{'enabling' if login else 'disabling'} catalog role of workspace {workspace}"
        with self._translated(action), self._connect() as conn:
            state = conn.execute(q.ROLE_QUERY, [role]).fetchone()
            if state is None:
                if login:
                    raise Pending(f"catalog role {role} does not exist yet")
                return False
            changed = bool(state[0]) != login
            if changed:
                conn.execute(q.alter_role(role, login))
            if not login:
                changed |= self._terminate(conn, role) > 0
        return changed

    def drop_workspace(self, workspace: str) -> bool:
        """End sessions, withdraw dataset grants, drop database and role. True if existed."""
        check_names(workspace)
        role = database = names.database(workspace)
        self._confirmed.forget(role)
        with self._translated(f"dropping catalog of workspace {workspace}"):
            with self._connect() as conn:
                state = conn.execute(q.ROLE_QUERY, [role]).fetchone()
                if state is not None:
                    # No new session may start while grants and the database are removed.
                    conn.execute(q.alter_role(role, False))
                    self._terminate(conn, role)
                granted = [row[0] for row in conn.execute(q.GRANTED_DATABASES_QUERY, [role])]
            for other in granted:
                with self._connect(other) as conn:
                    self._revoke(conn, other, role, held=True)
            with self._connect() as conn:
                existed = self._exists(conn, database)
                conn.execute(q.drop_database(database))
                conn.execute(q.drop_role(role))
        return state is not None or existed

    # Datasets

    def ensure_dataset(self, dataset: str) -> bool:
        """Create or repair the dataset's database and catalog tables. True if changed."""
        check_names(dataset)
        database = names.dataset_database(dataset)
        with self._translated(f"ensuring catalog of dataset {dataset}"):
            with self._connect() as conn:
                created = self._ensure_database(conn, database)
            with self._connect(database) as conn:
                return self._ensure_catalog(conn, database, None, every_table=True) or created

    def grant_dataset(self, workspace: str, dataset: str) -> bool:
        """Let the workspace role connect and read the dataset's catalog. True if changed."""
        check_names(workspace, dataset)
        role, database = names.database(workspace), names.dataset_database(dataset)
        with self._translated(f"granting dataset {dataset} to workspace {workspace}"):
            with self._connect() as conn:
                if conn.execute(q.ROLE_QUERY, [role]).fetchone() is None:
                    raise Pending(f"catalog role {role} does not exist yet")
                if not self._exists(conn, database):
                    raise Pending(f"catalog database {database} does not exist yet")
            with self._connect(database) as conn:
                if any(conn.execute(q.MISSING_CATALOG_QUERY).fetchone() or ()):
                    raise Pending(f"catalog tables of {database} do not exist yet")
                wanted = q.dataset_privileges(database)
                if self._privileges(conn, role, "role") == wanted:
                    return False
                self._run(conn, [*q.revoke_all(database, [role]), *q.grant(role, wanted)])
        return True

    def revoke_dataset(self, workspace: str, dataset: str) -> bool:
        """Withdraw the role's privileges on the dataset's database, end its sessions there."""
        check_names(workspace, dataset)
        role, database = names.database(workspace), names.dataset_database(dataset)
        with self._translated(f"revoking dataset {dataset} from workspace {workspace}"):
            with self._connect() as conn:
                if not self._exists(conn, database):
                    return False
                granted = [row[0] for row in conn.execute(q.GRANTED_DATABASES_QUERY, [role])]
            with self._connect(database) as conn:
                return self._revoke(conn, database, role, held=database in granted)

    def granted_datasets(self, workspace: str) -> frozenset[str]:
        """Datasets on whose database the workspace role holds any privilege."""
        check_names(workspace)
        role = names.database(workspace)
        action = f"listing dataset grants of workspace {workspace}"
        with self._translated(action), self._connect() as conn:
            rows = conn.execute(q.GRANTED_DATABASES_QUERY, [role]).fetchall()
        return frozenset(ds for (database,) in rows if (ds := q.dataset_of(database)))

    # Grant-scoped roles (a remote grant's reader): postgres_grant_roles.py

    def ensure_grant_role(self, role: str, password: str, dataset: str, record: str) -> bool:
        """A LOGIN role reading only the dataset's catalog (``CatalogDatabase``)."""
        return postgres_grant_roles.ensure(self, role, password, dataset, record)

    def drop_grant_role(self, role: str) -> bool:
        """End its sessions, revoke what it holds, drop it. True when it existed."""
        return postgres_grant_roles.drop(self, role)

    # Steps shared by the methods above, each on an open connection

    def _ensure_database(self, conn: psycopg.Connection[Any], database: str) -> bool:
        if self._exists(conn, database):
            return False
        try:
            conn.execute(q.create_database(database))
        except errors.DuplicateDatabase:
            return False  # created by a concurrent reconcile since we looked
        return True

    def _ensure_catalog(
        self, conn: psycopg.Connection[Any], database: str, role: str | None, *, every_table: bool
    ) -> bool:
        """Iceberg's tables, then exactly the wanted privileges of PUBLIC (none) and the role."""
        changed = False
        with conn.transaction():
            missing = conn.execute(q.MISSING_CATALOG_QUERY).fetchone() or ()
            if any(missing):
                # Iceberg's statements name no schema: make sure they land in ours.
                conn.execute(
                    sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(q.SCHEMA))
                )
                for needed, statement in zip(missing, q.ICEBERG_DDL, strict=True):
                    if needed:
                        conn.execute(sql.SQL(statement))
                changed = True
            wanted = q.workspace_privileges(database) if role else frozenset()
            if self._privileges(conn, role, None) != wanted:
                grantees: list[str | None] = [None, role] if role else [None]
                fixes = q.revoke_all(database, grantees, every_table=every_table)
                self._run(conn, fixes + (q.grant(role, wanted) if role else []))
                changed = True
        return changed

    @staticmethod
    def _privileges(
        conn: psycopg.Connection[Any], role: str | None, who: str | None
    ) -> frozenset[q.Privilege]:
        """What PUBLIC and ``role`` hold here (``who`` keeps only one of them)."""
        rows = conn.execute(q.PRIVILEGES_QUERY, [role or ""]).fetchall()
        return frozenset(row for row in rows if who is None or row[0] == who)

    def _revoke(
        self, conn: psycopg.Connection[Any], database: str, role: str, *, held: bool
    ) -> bool:
        """Revoke all the role holds here (``held``, as ``granted_datasets`` sees it), then
        end its sessions: one opened before the revoke could otherwise keep reading."""
        if held:
            self._run(conn, q.revoke_all(database, [role], every_table=True))
        return self._terminate(conn, role, database) > 0 or held

    @staticmethod
    def _run(conn: psycopg.Connection[Any], statements: list[sql.Composed]) -> None:
        with conn.transaction():  # all or nothing: a half-applied grant is never visible
            for statement in statements:
                conn.execute(statement)

    @staticmethod
    def _terminate(conn: psycopg.Connection[Any], role: str, database: str | None = None) -> int:
        row = conn.execute(q.TERMINATE_SESSIONS_QUERY, [role, database, database]).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _exists(conn: psycopg.Connection[Any], database: str) -> bool:
        return conn.execute(q.DATABASE_EXISTS_QUERY, [database]).fetchone() is not None

    @staticmethod
    def _verifier(conn: psycopg.Connection[Any], role: str, password: str) -> str:
        """The SCRAM-SHA-256 verifier of ``password``, computed by libpq on this machine
        (4,096 rounds of PBKDF2: only when it is sent)."""
        raw = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        return bytes(raw).decode()

    def _password_works(self, role: str, password: str) -> bool:
        """Log in as the role; any failure means the password is reset (which is harmless)."""
        try:
            # A workspace role's own database bears its name (names.database).
            with psycopg.connect(**self._common, user=role, password=password, dbname=role):
                return True
        except psycopg.Error:
            return False

    # Connections and errors

    def close(self) -> None:
        """Close the idle connections (a later call opens new ones)."""
        self._pool.close()

    @contextmanager
    def _connect(self, dbname: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        """The maintenance database from the pool; any other on a connection of its own,
        closed at the end of the block."""
        if dbname is None or dbname == self._maintenance:
            with self._pool.connection() as conn:
                yield conn
            return
        with self._open(dbname) as conn:
            yield conn

    def _open(self, dbname: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            **self._common,
            user=self._user,
            password=self._password,
            dbname=dbname,
            options=self._options,
            autocommit=True,
        )

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise DependencyUnavailable(
                f"catalog database {self.endpoint} unavailable while {action}: {self._detail(exc)}",
                reason=UNAVAILABLE,
            ) from exc

    def _detail(self, exc: psycopg.Error) -> str:
        """The server's SQLSTATE and message, or libpq's first line; never the password."""
        if exc.sqlstate and exc.diag.message_primary:
            text = f"{exc.sqlstate} {exc.diag.message_primary}"
        else:
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return text.replace(self._password, "***") if self._password else text
