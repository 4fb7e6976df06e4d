"""A remote catalog: a dataset held at another provider, as one read-only Trino catalog (pure).

The credentials come from the holder (federation/remote_grant.py), carried to the reader's
member by the hub (federation/carry.py). Not wired into the reader's reconcile yet
(docs/federation.md, Limits): this is the catalog file it will render, decided now so the
TLS rules are fixed and tested.

- Read-only in the connector itself (``iceberg.security=read_only``), as a local grant's.
- The catalog database over TLS verified against the holder's CA only: ``verify-full``
  with ``sslrootcert`` the holder's CA file (never the JVM's default CAs, never the
  platform's own CA: the holder's server must chain to the holder's CA).
- The object store over HTTPS only: a plain ``http://`` endpoint is refused, since the
  grant's keys would travel in clear; Trino's S3 client verifies with the JVM trust
  store, which must then hold the holder's CA.
- Credentials only as ``${ENV:…}`` references, one set of variables per catalog, so two
  remote grants never share a key and no file holds a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from havre.api import names
from havre.errors import InvalidSpec
from havre.pipeline.render.trino_access import CATALOG_NAME_PATTERN, DATABASE_PATTERN
from havre.pipeline.render.trino_config import TRUST_DIR, properties

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def _refuse(message: str) -> InvalidSpec:
    return InvalidSpec(message, reason="InvalidRemoteCatalog")


@dataclass(frozen=True, order=True)
class RemoteCatalog:
    """A dataset read from its holder: where, and as what catalog."""

    dataset: str
    database: str
    bucket: str
    prefix: str
    object_store_url: str
    catalog_host: str
    catalog_port: int

    def __post_init__(self) -> None:
        if not re.fullmatch(CATALOG_NAME_PATTERN, self.catalog_name):
            raise _refuse(f"catalog name {self.catalog_name!r} is not a valid catalog name")
        if self.catalog_name in names.RESERVED_CATALOGS:
            raise _refuse(f"catalog name {self.catalog_name!r} is reserved")
        if not re.fullmatch(DATABASE_PATTERN, self.database):
            raise _refuse(f"catalog database {self.database!r} is not a valid database name")
        if not self.object_store_url.startswith("https://"):
            raise _refuse(
                f"the holder's object store {self.object_store_url!r} is not HTTPS: the "
                "grant's keys would travel in clear"
            )
        if not _HOST.fullmatch(self.catalog_host) or not 0 < self.catalog_port < 65536:
            raise _refuse(f"catalog address {self.catalog_host}:{self.catalog_port} is invalid")

    @property
    def catalog_name(self) -> str:
        return names.catalog(self.dataset)

    @property
    def env_prefix(self) -> str:
        """Variables of this catalog's credentials, e.g. ``REMOTE_SNDS_2024_``."""
        return f"REMOTE_{self.catalog_name.upper()}_"

    @property
    def ca_file(self) -> str:
        """The holder's CA, mounted beside the platform's trust files."""
        return f"{TRUST_DIR}/remote-{self.catalog_name}.pem"


def render_remote_catalog(remote: RemoteCatalog) -> str:
    """``<catalog>.properties`` of a dataset read from its holder."""
    env = remote.env_prefix
    url = (
        f"jdbc:postgresql://{remote.catalog_host}:{remote.catalog_port}/{remote.database}"
        f"?sslmode=verify-full&sslrootcert={remote.ca_file}"
    )
    return properties(
        {
            "connector.name": "iceberg",
            "iceberg.catalog.type": "jdbc",
            "iceberg.security": "read_only",
            "iceberg.jdbc-catalog.driver-class": "org.postgresql.Driver",
            "iceberg.jdbc-catalog.connection-url": url,
            "iceberg.jdbc-catalog.connection-user": f"${{ENV:{env}DB_USER}}",
            "iceberg.jdbc-catalog.connection-password": f"${{ENV:{env}DB_PASSWORD}}",
            "iceberg.jdbc-catalog.catalog-name": remote.dataset,
            "iceberg.jdbc-catalog.default-warehouse-dir": f"s3://{remote.bucket}/{remote.prefix}/",
            "iceberg.jdbc-catalog.schema-version": "V1",
            "iceberg.register-table-procedure.enabled": "false",
            "iceberg.add-files-procedure.enabled": "false",
            "fs.native-s3.enabled": "true",
            "s3.endpoint": remote.object_store_url,
            "s3.region": "us-east-1",
            "s3.path-style-access": "true",
            "s3.aws-access-key": f"${{ENV:{env}S3_ACCESS_KEY}}",
            "s3.aws-secret-key": f"${{ENV:{env}S3_SECRET_KEY}}",
        }
    )
