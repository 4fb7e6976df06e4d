"""The SQL of the catalog databases, pure: statements are built by ``psycopg.sql``
composition only (names as ``sql.Identifier``, the one value a statement cannot bind — a
password verifier — as ``sql.Literal``); reads bind their values as parameters.

Iceberg's JDBC catalog: Trino 476 (``iceberg.catalog.type=jdbc``) hands its
``iceberg.jdbc-catalog.*`` properties to Apache Iceberg 1.9.1's ``JdbcCatalog`` with
``jdbc.schema-version=V1`` (Trino's default). At start that catalog looks the tables up with
``DatabaseMetaData.getTables`` and creates the missing ones; then it finds the
``iceberg_type`` column (schema V1, needed for views) or adds it. The operator runs the same
statements first (``ICEBERG_DDL``, copied from ``org.apache.iceberg.jdbc.JdbcUtil`` 1.9.1), in
schema ``public``, so a read-only role finds a complete V1 catalog and Iceberg writes no DDL.
Checked on Trino 476: with only ``dataset_privileges`` a role lists and reads a dataset's
tables, its writes are refused, and a revoke fails the very next query (Trino builds and
initialises a new ``JdbcCatalog`` per query, whose first check is then refused).
"""

from __future__ import annotations

from typing import LiteralString

from psycopg import sql

SCHEMA = "public"
CATALOG_TABLES = ("iceberg_tables", "iceberg_namespace_properties")

#: JdbcUtil.V0_CREATE_CATALOG_SQL, V1_UPDATE_CATALOG_SQL, CREATE_NAMESPACE_PROPERTIES_TABLE_SQL.
ICEBERG_TABLES_DDL: LiteralString = (
    "CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,"
    "table_namespace VARCHAR(255) NOT NULL,table_name VARCHAR(255) NOT NULL,"
    "metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),"
    "PRIMARY KEY (catalog_name, table_namespace, table_name))"
)
ICEBERG_V1_DDL: LiteralString = "ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)"
NAMESPACE_PROPERTIES_DDL: LiteralString = (
    "CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,"
    "namespace VARCHAR(255) NOT NULL,property_key VARCHAR(255),property_value VARCHAR(1000),"
    "PRIMARY KEY (catalog_name, namespace, property_key))"
)
#: In the order Iceberg runs them; each only when its table or column is missing.
ICEBERG_DDL = (ICEBERG_TABLES_DDL, ICEBERG_V1_DDL, NAMESPACE_PROPERTIES_DDL)
ICEBERG_VERSION = "1.9.1"

#: One privilege: (grantee "PUBLIC" or "role", object kind, object name, privilege).
Privilege = tuple[str, str, str, str]

_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
_KEYWORDS = {
    word: sql.SQL(word)
    for word in ("CONNECT", "USAGE", "CREATE", *_WRITE, "DATABASE", "SCHEMA", "TABLE")
}


def workspace_privileges(database: str) -> frozenset[Privilege]:
    """What a workspace role holds in its own database, and PUBLIC holds nothing: connect,
    create tables in ``public``, read and write the catalog rows (not alter the tables)."""
    return frozenset(
        {("role", "database", database, "CONNECT")}
        | {("role", "schema", SCHEMA, p) for p in ("USAGE", "CREATE")}
        | {("role", "table", t, p) for t in CATALOG_TABLES for p in _WRITE}
    )


def dataset_privileges(database: str) -> frozenset[Privilege]:
    """What a granted workspace role holds in a dataset's database: connect and read the
    catalog rows, nothing else."""
    return frozenset(
        {("role", "database", database, "CONNECT"), ("role", "schema", SCHEMA, "USAGE")}
        | {("role", "table", t, "SELECT") for t in CATALOG_TABLES}
    )


# Explicit and default (NULL acl) privileges of PUBLIC (grantee 0) and one role on the
# database connected to, its public schema and its catalog tables.
PRIVILEGES_QUERY = sql.SQL(
    """
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE 'role' END, o.kind, o.name,
           a.privilege_type
    FROM (
        SELECT 'database', datname, coalesce(datacl, acldefault('d', datdba))
        FROM pg_database WHERE datname = current_database()
        UNION ALL
        SELECT 'schema', nspname, coalesce(nspacl, acldefault('n', nspowner))
        FROM pg_namespace WHERE nspname = {schema}
        UNION ALL
        SELECT 'table', relname, coalesce(relacl, acldefault('r', relowner))
        FROM pg_class
        WHERE relnamespace = {schema}::regnamespace AND relname = ANY({tables})
    ) AS o(kind, name, acl), aclexplode(o.acl) AS a
    WHERE a.grantee = 0 OR a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)
    """
).format(schema=sql.Literal(SCHEMA), tables=sql.Literal(list(CATALOG_TABLES)))

# Login, and whether the role gained a power the operator can take back (only a superuser
# can set REPLICATION or BYPASSRLS, and only a superuser may even name them in ALTER ROLE).
ROLE_QUERY = sql.SQL(
    "SELECT rolcanlogin, rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = %s"
)
DATABASE_EXISTS_QUERY = sql.SQL("SELECT 1 FROM pg_database WHERE datname = %s")
# Roles and databases of workspaces (``ws_`` names), to find retained ones.
WORKSPACE_NAMES_QUERY = sql.SQL(
    r"""
    SELECT rolname FROM pg_roles WHERE rolname LIKE 'ws\_%%'
    UNION SELECT datname FROM pg_database WHERE datname LIKE 'ws\_%%'
    """
)
# Whether the role and the database exist, and the comments that record their owner.
OWNER_QUERY = sql.SQL(
    """
    SELECT r.found, r.comment, d.found, d.comment
    FROM (SELECT count(*) > 0, max(shobj_description(oid, 'pg_authid'))
          FROM pg_roles WHERE rolname = %s) AS r(found, comment),
         (SELECT count(*) > 0, max(shobj_description(oid, 'pg_database'))
          FROM pg_database WHERE datname = %s) AS d(found, comment)
    """
)
MISSING_CATALOG_QUERY = sql.SQL(
    """
    SELECT to_regclass({tables}) IS NULL,
           NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({tables})
                       AND attname = 'iceberg_type' AND NOT attisdropped),
           to_regclass({properties}) IS NULL
    """
).format(
    tables=sql.Literal(f"{SCHEMA}.iceberg_tables"),
    properties=sql.Literal(f"{SCHEMA}.iceberg_namespace_properties"),
)

# Dataset databases where the role holds anything: CONNECT on the database itself, or any
# privilege inside it (pg_shdepend records those per database), so a half-done revoke shows.
GRANTED_DATABASES_QUERY = sql.SQL(
    r"""
    SELECT d.datname FROM pg_database d, pg_roles r
    WHERE r.rolname = %s AND d.datname LIKE 'ds\_%%'
      AND (EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = r.oid)
           OR EXISTS (SELECT 1 FROM pg_shdepend s WHERE s.dbid = d.oid
                      AND s.refclassid = 'pg_authid'::regclass AND s.refobjid = r.oid))
    ORDER BY d.datname
    """
)

# The timeout (ms) makes each call wait until the backend has exited, so access has ended
# when it returns; the second parameter, when not NULL, limits it to one database.
TERMINATE_SESSIONS_QUERY = sql.SQL(
    """
    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
    WHERE usesysid = (SELECT oid FROM pg_roles WHERE rolname = %s)
      AND (%s::text IS NULL OR datname = %s) AND pid <> pg_backend_pid()
    """
)


def create_role(role: str, verifier: str, login: bool) -> sql.Composed:
    """A role with no power but its grants (NOSUPERUSER, NOREPLICATION and NOBYPASSRLS are
    the defaults); ``verifier`` is a SCRAM verifier, never a password."""
    return sql.SQL("CREATE ROLE {} {} NOCREATEDB NOCREATEROLE PASSWORD {}").format(
        sql.Identifier(role), _login(login), sql.Literal(verifier)
    )


def alter_role(role: str, login: bool, verifier: str | None = None) -> sql.Composed:
    """Set login, drop CREATEDB and CREATEROLE, and reset the password when given."""
    password = sql.SQL(" PASSWORD {}").format(sql.Literal(verifier)) if verifier else sql.SQL("")
    return sql.SQL("ALTER ROLE {} {} NOCREATEDB NOCREATEROLE{}").format(
        sql.Identifier(role), _login(login), password
    )


def _login(login: bool) -> sql.SQL:
    return sql.SQL("LOGIN" if login else "NOLOGIN")


def comment_on(kind: str, name: str, text: str) -> sql.Composed:
    """``COMMENT ON ROLE|DATABASE``: how a role and a database record their owner."""
    assert kind in ("ROLE", "DATABASE")
    return sql.SQL("COMMENT ON {} {} IS {}").format(
        sql.SQL(kind), sql.Identifier(name), sql.Literal(text)
    )


def create_database(database: str) -> sql.Composed:
    """A database owned by the connected (admin) role."""
    return sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))


def drop_database(database: str) -> sql.Composed:
    """Drop a database, ending its sessions first (PostgreSQL 13+)."""
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))


def drop_role(role: str) -> sql.Composed:
    """Drop a role; fails while it still holds privileges anywhere."""
    return sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role))


def revoke_all(
    database: str, grantees: list[str | None], *, every_table: bool = False
) -> list[sql.Composed]:
    """Revoke everything from each grantee (None is PUBLIC) on the database connected to,
    its public schema, and its catalog tables (which must exist) or, with ``every_table``,
    every table in the schema. A workspace's own database keeps ``every_table`` off: a
    superuser admin would otherwise strip the role's rights on the tables it owns."""
    names = sql.SQL(", ").join(sql.Identifier(g) if g else sql.SQL("PUBLIC") for g in grantees)
    tables = (
        sql.SQL("ALL TABLES IN SCHEMA {}").format(sql.Identifier(SCHEMA))
        if every_table
        else sql.SQL("TABLE {}").format(_catalog_tables())
    )
    return [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(sql.Identifier(database), names),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(sql.Identifier(SCHEMA), names),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, names),
    ]


def grant(role: str, privileges: frozenset[Privilege]) -> list[sql.Composed]:
    """GRANT statements giving ``role`` exactly the role's part of ``privileges``."""
    statements = []
    for kind in ("database", "schema", "table"):
        targets = sorted({(n, p) for who, k, n, p in privileges if who == "role" and k == kind})
        for name in sorted({n for n, _ in targets}):
            privs = sql.SQL(", ").join(_KEYWORDS[p] for n, p in targets if n == name)
            statements.append(
                sql.SQL("GRANT {} ON {} {} TO {}").format(
                    privs, _KEYWORDS[kind.upper()], _qualified(kind, name), sql.Identifier(role)
                )
            )
    return statements


def _qualified(kind: str, name: str) -> sql.Composable:
    return sql.Identifier(SCHEMA, name) if kind == "table" else sql.Identifier(name)


def _catalog_tables() -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(SCHEMA, t) for t in CATALOG_TABLES)


def dataset_of(database: str) -> str | None:
    """The dataset whose catalog ``database`` holds (inverse of ``names.dataset_database``)."""
    if not database.startswith("ds_") or len(database) == 3:
        return None
    return database[3:].replace("_", "-")


def workspace_of(name: str) -> str | None:
    """The workspace whose role or database ``name`` is (inverse of ``names.database``)."""
    if not name.startswith("ws_") or len(name) == 3:
        return None
    return name[3:].replace("_", "-")
