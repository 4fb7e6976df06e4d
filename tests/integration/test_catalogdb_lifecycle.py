"""A workspace's catalog role through its life on a real PostgreSQL: password changes,
suspension, deletion, drift repaired, names quoted, and a server that does not answer."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from devstack.secrets import random_secret
from havre.api import names
from havre.errors import DependencyUnavailable
from havre.external.catalogdb import UNAVAILABLE
from havre.external.postgres import PostgresCatalogs
from tests.integration.catalogdb import Harness, superuser
from tests.integration.helpers import free_port

pytestmark = pytest.mark.integration


def test_a_new_password_replaces_the_old_one(db: Harness) -> None:
    ws, old, new = db.name("ws"), random_secret(), random_secret()
    db.catalogs.ensure_workspace(ws, old)

    assert db.catalogs.ensure_workspace(ws, new) is True
    assert db.catalogs.ensure_workspace(ws, new) is False

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        db.login(ws, old, names.database(ws))
    db.login(ws, new, names.database(ws))


def test_disable_ends_sessions_and_blocks_login_and_enable_restores_it(db: Harness) -> None:
    ws, password = db.name("ws"), random_secret()
    db.catalogs.ensure_workspace(ws, password)
    session = db.login(ws, password, names.database(ws))

    assert db.catalogs.disable_workspace(ws) is True
    assert db.catalogs.disable_workspace(ws) is False
    assert db.catalogs.ensure_workspace(ws, password, enabled=False) is False

    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        db.login(ws, password, names.database(ws))

    assert db.catalogs.enable_workspace(ws) is True
    assert db.catalogs.enable_workspace(ws) is False
    assert db.login(ws, password, names.database(ws)).execute("SELECT 1").fetchone() == (1,)


def test_a_workspace_created_suspended_cannot_log_in_until_ensured_enabled(db: Harness) -> None:
    ws, password = db.name("ws"), random_secret()
    assert db.catalogs.ensure_workspace(ws, password, enabled=False) is True
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        db.login(ws, password, names.database(ws))

    assert db.catalogs.ensure_workspace(ws, password) is True
    db.login(ws, password, names.database(ws))


def test_drop_removes_database_and_role_and_leaves_the_others(db: Harness) -> None:
    gone, kept, ds = db.name("gone"), db.name("kept"), db.name("ds")
    password = random_secret()
    db.catalogs.ensure_dataset(ds)
    for ws in (gone, kept):
        db.catalogs.ensure_workspace(ws, password)
        db.catalogs.grant_dataset(ws, ds)
    session = db.login(gone, password, names.dataset_database(ds))

    assert db.catalogs.drop_workspace(gone) is True
    assert db.catalogs.drop_workspace(gone) is False

    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    assert not db.role_exists(names.database(gone))
    assert not db.database_exists(names.database(gone))
    assert db.database_exists(names.dataset_database(ds))
    reader = db.login(kept, password, names.dataset_database(ds))
    assert reader.execute("SELECT count(*) FROM iceberg_tables").fetchone() == (0,)
    assert db.catalogs.granted_datasets(kept) == {ds}


def test_ensure_repairs_what_was_changed_behind_its_back(db: Harness) -> None:
    ws, password = db.name("ws"), random_secret()
    db.catalogs.ensure_workspace(ws, password)
    database, role = sql.Identifier(names.database(ws)), sql.Identifier(names.database(ws))
    db.as_superuser(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(database))
    db.as_superuser(sql.SQL("ALTER ROLE {} CREATEDB PASSWORD NULL").format(role))
    db.as_superuser(
        sql.SQL("REVOKE INSERT ON iceberg_tables FROM {}").format(role), names.database(ws)
    )

    assert db.catalogs.ensure_workspace(ws, password) is True
    assert db.catalogs.ensure_workspace(ws, password) is False

    with superuser(db.postgres) as conn:
        row = conn.execute(
            "SELECT rolcreatedb, has_database_privilege('public', %s, 'CONNECT')"
            " FROM pg_roles WHERE rolname = %s",
            [names.database(ws), names.database(ws)],
        ).fetchone()
    assert row == (False, False)
    conn = db.login(ws, password, names.database(ws))
    conn.execute("INSERT INTO iceberg_namespace_properties VALUES ('w', 'n', 'exists', 'true')")


@pytest.mark.parametrize(("workspace", "dataset"), [("user", "select"), ("table", "grant")])
def test_reserved_words_are_names_like_any_other(db: Harness, workspace: str, dataset: str) -> None:
    ws, ds, password = db.name("", fixed=workspace), db.name("", fixed=dataset), random_secret()
    db.catalogs.ensure_workspace(ws, password)
    db.catalogs.ensure_dataset(ds)
    db.catalogs.grant_dataset(ws, ds)

    db.login(ws, password, names.dataset_database(ds)).execute("SELECT * FROM iceberg_tables")
    assert db.catalogs.granted_datasets(ws) == {ds}
    assert db.catalogs.revoke_dataset(ws, ds) is True


@pytest.mark.parametrize(
    "hostile", ['x"; DROP ROLE postgres; --', "ws_a", "A", "a--b", "x" * 41, "a b"]
)
def test_names_outside_the_workspace_pattern_are_refused_before_any_sql(
    db: Harness, hostile: str
) -> None:
    with pytest.raises(ValueError, match="not a workspace or dataset name"):
        db.catalogs.ensure_workspace(hostile, random_secret())
    with pytest.raises(ValueError, match="not a workspace or dataset name"):
        db.catalogs.grant_dataset("fine", hostile)
    assert db.role_exists("postgres")


def test_unreachable_server_is_unavailable_and_never_shows_the_password(db: Harness) -> None:
    password = "Sup3r-Secret-" + random_secret()
    for client in (
        PostgresCatalogs("127.0.0.1", free_port(), "havre", password, connect_timeout=2),
        PostgresCatalogs(
            db.postgres["host"], db.postgres["port"], "postgres", password, **db.postgres["tls"]
        ),
    ):
        with pytest.raises(DependencyUnavailable) as caught:
            client.ensure_workspace("cardio", random_secret())
        assert caught.value.reason == UNAVAILABLE
        assert client.endpoint in caught.value.message
        for text in (caught.value.message, repr(caught.value), repr(client)):
            assert password not in text
        cause = caught.value.__cause__
        assert cause is not None and password not in str(cause)


def test_catalog_tables_have_icebergs_v1_shape(db: Harness) -> None:
    ds = db.name("ds")
    db.catalogs.ensure_dataset(ds)
    with superuser(db.postgres, names.dataset_database(ds)) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        ).fetchall()
    varchar = "character varying"
    assert columns == [
        ("iceberg_namespace_properties", "catalog_name", varchar, 255, "NO"),
        ("iceberg_namespace_properties", "namespace", varchar, 255, "NO"),
        ("iceberg_namespace_properties", "property_key", varchar, 255, "NO"),
        ("iceberg_namespace_properties", "property_value", varchar, 1000, "YES"),
        ("iceberg_tables", "catalog_name", varchar, 255, "NO"),
        ("iceberg_tables", "table_namespace", varchar, 255, "NO"),
        ("iceberg_tables", "table_name", varchar, 255, "NO"),
        ("iceberg_tables", "metadata_location", varchar, 1000, "YES"),
        ("iceberg_tables", "previous_metadata_location", varchar, 1000, "YES"),
        ("iceberg_tables", "iceberg_type", varchar, 5, "YES"),
    ]
