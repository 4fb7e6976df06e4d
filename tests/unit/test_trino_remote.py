"""A remote catalog's file: read-only, TLS verified with the holder's CA only, HTTPS only,
credentials only as per-catalog environment references."""

from __future__ import annotations

from dataclasses import replace

import pytest

from havre.errors import InvalidSpec
from havre.pipeline.render.trino_remote import RemoteCatalog, render_remote_catalog

REMOTE = RemoteCatalog(
    dataset="snds-2024",
    database="ds_snds_2024",
    bucket="ds-snds",
    prefix="sample/v1",
    object_store_url="https://10.64.192.1:19020",
    catalog_host="10.64.192.1",
    catalog_port=15452,
)


def _props(remote: RemoteCatalog = REMOTE) -> dict[str, str]:
    lines = render_remote_catalog(remote).splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_the_catalog_is_read_only_and_named_after_the_dataset() -> None:
    props = _props()
    assert REMOTE.catalog_name == "snds_2024"
    assert props["iceberg.security"] == "read_only"
    assert props["iceberg.jdbc-catalog.catalog-name"] == "snds-2024"
    assert props["iceberg.register-table-procedure.enabled"] == "false"
    assert props["iceberg.add-files-procedure.enabled"] == "false"
    assert props["iceberg.jdbc-catalog.default-warehouse-dir"] == "s3://ds-snds/sample/v1/"


def test_the_catalog_database_is_verified_full_against_the_holders_ca_only() -> None:
    url = _props()["iceberg.jdbc-catalog.connection-url"]
    assert url == (
        "jdbc:postgresql://10.64.192.1:15452/ds_snds_2024"
        "?sslmode=verify-full&sslrootcert=/etc/trino/trust/remote-snds_2024.pem"
    )
    assert "DefaultJavaSSLFactory" not in url


def test_credentials_are_per_catalog_environment_references() -> None:
    props = _props()
    secrets = {
        k: v for k, v in props.items() if "key" in k or "connection-user" in k or "pass" in k
    }
    assert set(secrets.values()) == {
        "${ENV:REMOTE_SNDS_2024_DB_USER}",
        "${ENV:REMOTE_SNDS_2024_DB_PASSWORD}",
        "${ENV:REMOTE_SNDS_2024_S3_ACCESS_KEY}",
        "${ENV:REMOTE_SNDS_2024_S3_SECRET_KEY}",
    }
    other = _props(replace(REMOTE, dataset="onco", database="ds_onco"))
    assert other["s3.aws-access-key"] != props["s3.aws-access-key"]


@pytest.mark.parametrize(
    "change",
    [
        {"object_store_url": "http://10.64.192.1:19020"},
        {"dataset": "workspace"},
        {"database": "ds-x; DROP"},
        {"catalog_host": "pg?sslmode=disable"},
        {"catalog_port": 0},
    ],
)
def test_a_plaintext_endpoint_or_unsafe_name_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(InvalidSpec) as refused:
        replace(REMOTE, **change)  # type: ignore[arg-type]
    assert refused.value.reason == "InvalidRemoteCatalog"
