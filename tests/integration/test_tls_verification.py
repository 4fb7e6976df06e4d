"""Credentials travel only over TLS verified against the platform CA: the catalog database
refuses plain connections, and the operator's and the publish tool's clients refuse a
server whose certificate names the right host but chains to another CA — before sending
anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from devstack.paths import StackPaths
from devstack.tls import StackCA
from havre.datasets.publish import (
    CatalogDatabase,
    Publication,
    PublishError,
    S3Access,
    open_catalog,
)
from havre.errors import DependencyUnavailable
from havre.external.minio import MinioStore
from havre.external.postgres import PostgresCatalogs
from tests.integration.tls_impostor import Impostor

pytestmark = pytest.mark.integration


def test_catalog_database_refuses_logins_without_tls(postgres: dict[str, Any]) -> None:
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(
            host=postgres["host"],
            port=postgres["port"],
            user=postgres["user"],
            password=postgres["password"],
            dbname="postgres",
            sslmode="disable",
            connect_timeout=5,
        )


def test_catalog_database_certificate_chains_to_the_platform_ca(postgres: dict[str, Any]) -> None:
    # The stack's DSN says sslmode=verify-full with the platform CA as root.
    with psycopg.connect(postgres["dsn"], connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    assert row is not None and row[0] is True and row[1] in ("TLSv1.2", "TLSv1.3")


# An impostor CA bearing the platform CA's very name, and one with a name of its own.
IMPOSTORS = ["havre-devstack-ca", "another-ca"]


@pytest.mark.parametrize("ca_name", IMPOSTORS)
def test_operator_refuses_a_catalog_database_with_another_ca(
    postgres: dict[str, Any], tmp_path: Path, ca_name: str
) -> None:
    with Impostor(tmp_path, postgres=True, ca_name=ca_name) as impostor:
        client = PostgresCatalogs(
            "127.0.0.1", impostor.port, "havre", "operator-password", **postgres["tls"]
        )
        with pytest.raises(DependencyUnavailable) as caught:
            client.ensure_dataset("snds")
    assert "SSL error" in caught.value.message
    assert impostor.handshakes == 0 and impostor.received == b""


@pytest.mark.parametrize("ca_name", IMPOSTORS)
def test_publish_tool_refuses_a_catalog_database_with_another_ca(
    postgres: dict[str, Any], tmp_path: Path, ca_name: str
) -> None:
    with Impostor(tmp_path, postgres=True, ca_name=ca_name) as impostor:
        database = CatalogDatabase(
            "127.0.0.1", impostor.port, "ds_snds", "steward", "steward-password", **postgres["tls"]
        )
        store = S3Access("https://127.0.0.1:9", "steward", "s3-secret")
        with pytest.raises(PublishError, match="SSL error"):
            open_catalog(Publication("snds", "snds", "datasets", "snds"), database, store)
    assert impostor.handshakes == 0 and impostor.received == b""


@pytest.mark.parametrize("ca_name", IMPOSTORS)
def test_operator_refuses_an_object_store_with_another_ca(
    stack_paths: StackPaths, tmp_path: Path, ca_name: str
) -> None:
    platform_ca = StackCA(stack_paths.state)
    platform_ca.ensure()
    with Impostor(tmp_path, postgres=False, ca_name=ca_name) as impostor:
        store = MinioStore(
            f"127.0.0.1:{impostor.port}",
            "havre-admin",
            "admin-secret-key",
            secure=True,
            ca_file=str(platform_ca.cert_path),
            timeout=5,
            retries=0,
        )
        with pytest.raises(DependencyUnavailable) as caught:
            store.bucket_exists("ws-cardio")
    assert caught.value.reason == "ObjectStoreUnavailable"
    assert impostor.handshakes == 0 and impostor.received == b""
