"""Grant-scoped roles on the catalog database: a remote grant's reader at the holder
(federation/remote_grant.py), through ``PostgresCatalogs``' connections and steps.

A role ``rg_<grant uid>`` logs in with its own password and holds exactly
``dataset_privileges`` on one dataset's database (connect, read the Iceberg catalog
rows); its ``COMMENT`` records the grant's UID. Dropping it first refuses new sessions,
ends the open ones, revokes what it holds in every database, then drops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg

from havre.api import names
from havre.errors import Pending
from havre.external import catalogdb_sql as q
from havre.external.catalogdb import check_grant_role, check_names

if TYPE_CHECKING:
    from havre.external.postgres import PostgresCatalogs


def ensure(pg: PostgresCatalogs, role: str, password: str, dataset: str, record: str) -> bool:
    """A LOGIN role holding only ``dataset_privileges`` on the dataset's database, with
    ``password`` and ``record`` (the grant's UID) as its comment. True if changed."""
    check_grant_role(role)
    check_names(dataset)
    database = names.dataset_database(dataset)
    with pg._translated(f"issuing catalog role {role} for dataset {dataset}"):
        with pg._connect() as conn:
            if not pg._exists(conn, database):
                raise Pending(f"catalog database {database} does not exist yet")
            state = conn.execute(q.ROLE_QUERY, [role]).fetchone()
            verifier = pg._verifier(conn, role, password)
            if state is None:
                with conn.transaction():
                    conn.execute(q.create_role(role, verifier, True))
                    conn.execute(q.comment_on("ROLE", role, record))
        changed = state is None
        with pg._connect(database) as conn:
            if any(conn.execute(q.MISSING_CATALOG_QUERY).fetchone() or ()):
                raise Pending(f"catalog tables of {database} do not exist yet")
            wanted = q.dataset_privileges(database)
            if pg._privileges(conn, role, "role") != wanted:
                pg._run(conn, [*q.revoke_all(database, [role]), *q.grant(role, wanted)])
                changed = True
        # The password may have been reset, or lost with its Secret: set it only then.
        if state is not None and (
            state != (True, False) or not _login_works(pg, role, password, database)
        ):
            with pg._connect() as conn:
                conn.execute(q.alter_role(role, True, verifier))
            changed = True
    return changed


def drop(pg: PostgresCatalogs, role: str) -> bool:
    """NOLOGIN, end its sessions, revoke what it holds, drop it. True when it existed."""
    check_grant_role(role)
    with pg._translated(f"dropping catalog role {role}"):
        with pg._connect() as conn:
            if conn.execute(q.ROLE_QUERY, [role]).fetchone() is None:
                return False
            conn.execute(q.alter_role(role, False))
            pg._terminate(conn, role)
            granted = [row[0] for row in conn.execute(q.GRANTED_DATABASES_QUERY, [role])]
        for database in granted:
            with pg._connect(database) as conn:
                pg._revoke(conn, database, role, held=True)
        with pg._connect() as conn:
            conn.execute(q.drop_role(role))
    return True


def _login_works(pg: PostgresCatalogs, role: str, password: str, database: str) -> bool:
    """Log in as ``role`` to ``database``; any failure means the password is reset."""
    try:
        with psycopg.connect(**pg._common, user=role, password=password, dbname=database):
            return True
    except psycopg.Error:
        return False
