"""The catalog database's SQL: names always quoted, passwords never sent, grants read-only
where they must be, and the catalog tables exactly those Iceberg itself would create."""

from __future__ import annotations

import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.components.trino import install_trino
from havre.api import names
from havre.api.model import NAME_PATTERN
from havre.external import catalogdb_sql as q
from havre.external.catalogdb import check_names

dataset_names = st.from_regex(NAME_PATTERN, fullmatch=True)


@pytest.mark.parametrize("name", ["select", "user", 'a"; DROP ROLE postgres; --'])
def test_names_reach_sql_only_as_quoted_identifiers(name: str) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    statements = [
        q.create_role(name, "SCRAM-SHA-256$4096:salt$key", login=True),
        q.alter_role(name, login=False),
        q.create_database(name),
        q.drop_database(name),
        q.drop_role(name),
        *q.revoke_all(name, [None, name]),
        *q.grant(name, q.dataset_privileges(name)),
    ]
    for statement in statements:
        assert quoted in statement.as_string()


def test_a_password_verifier_is_a_quoted_literal() -> None:
    text = q.alter_role("ws_a", True, "SCRAM-SHA-256$4096:x'y").as_string()
    assert text == (
        "ALTER ROLE \"ws_a\" LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'SCRAM-SHA-256$4096:x''y'"
    )


def test_alter_role_never_names_attributes_only_a_superuser_may_change() -> None:
    text = q.alter_role("ws_a", True, "v").as_string()
    assert "REPLICATION" not in text and "BYPASSRLS" not in text and "SUPERUSER" not in text


def test_a_dataset_grant_is_connect_and_read_only() -> None:
    privileges = q.dataset_privileges("ds_cohort")
    assert {p for _, _, _, p in privileges} == {"CONNECT", "USAGE", "SELECT"}
    assert all(who == "role" for who, _, _, _ in privileges)
    assert [s.as_string() for s in q.grant("ws_a", privileges)] == [
        'GRANT CONNECT ON DATABASE "ds_cohort" TO "ws_a"',
        'GRANT USAGE ON SCHEMA "public" TO "ws_a"',
        'GRANT SELECT ON TABLE "public"."iceberg_namespace_properties" TO "ws_a"',
        'GRANT SELECT ON TABLE "public"."iceberg_tables" TO "ws_a"',
    ]


def test_a_workspace_writes_catalog_rows_but_owns_no_catalog_table() -> None:
    privileges = q.workspace_privileges("ws_a")
    tables = {p for who, kind, _, p in privileges if kind == "table"}
    assert tables == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert ("role", "schema", "public", "CREATE") in privileges
    assert all(who == "role" for who, _, _, _ in privileges), "PUBLIC gets nothing"


def test_revoking_in_a_workspace_database_touches_only_the_catalog_tables() -> None:
    own = [s.as_string() for s in q.revoke_all("ws_a", [None, "ws_a"])]
    assert 'REVOKE ALL ON DATABASE "ws_a" FROM PUBLIC, "ws_a"' in own
    assert not any("ALL TABLES" in s for s in own)
    dataset = [s.as_string() for s in q.revoke_all("ds_b", ["ws_a"], every_table=True)]
    assert 'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "ws_a"' in dataset


@given(dataset_names, dataset_names)
def test_dataset_databases_map_back_to_their_dataset_and_never_meet_workspaces(
    a: str, b: str
) -> None:
    assert q.dataset_of(names.dataset_database(a)) == a
    assert names.dataset_database(a) != names.database(b)
    assert q.dataset_of(names.database(a)) is None


@pytest.mark.parametrize("hostile", ["", "A", "ws_a", "a--b", "-a", "a b", 'a"', "x" * 41])
def test_names_outside_the_pattern_are_refused(hostile: str) -> None:
    with pytest.raises(ValueError, match="not a workspace or dataset name"):
        check_names("fine", hostile)


def test_catalog_ddl_is_the_one_in_trinos_iceberg_jar() -> None:
    # On a cold cache Trino is installed (as the integration tests would), never skipped.
    jar = (
        install_trino() / "plugin" / "iceberg" / f"org.apache.iceberg_iceberg-core-"
        f"{q.ICEBERG_VERSION}.jar"
    )
    with zipfile.ZipFile(jar) as archive:
        jdbc_util = archive.read("org/apache/iceberg/jdbc/JdbcUtil.class")
    for statement in q.ICEBERG_DDL:
        assert statement.encode() in jdbc_util
