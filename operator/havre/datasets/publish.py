"""The data steward's tool: publish a dataset's tables as Iceberg tables that Trino reads.

Files (Parquet data, Iceberg metadata) go to ``s3://<bucket>/<prefix>/<table>/`` on the
platform object store; each table is registered in the dataset's Iceberg JDBC catalog, a
PostgreSQL database holding Iceberg's ``iceberg_tables`` and ``iceberg_namespace_properties``
under one catalog name. PyIceberg's ``SqlCatalog`` writes those tables in the layout of
Iceberg's ``JdbcCatalog`` schema V1 (with the ``iceberg_type`` column), the layout Trino 476
reads by default (``iceberg.jdbc-catalog.schema-version=V1``). A Trino catalog over the
dataset then needs ``iceberg.catalog.type=jdbc``, the database, the same catalog name and
read access to the bucket.

Names are written in lowercase: Trino folds unquoted identifiers to lowercase and looks a
table up by its exact name, so ``SELECT BEN_NIR_PSA FROM snds.ir_ben_r`` works as the SNDS
documentation writes it. Publishing again replaces each table's rows (PyIceberg commits a
delete and an append snapshot; earlier snapshots stay in the table's history).
Errors never carry a secret: messages are redacted before they leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import pyarrow as pa  # type: ignore[import-untyped]
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NoSuchTableError
from sqlalchemy.engine import URL

from havre.api.model import BUCKET_PATTERN, PREFIX_PATTERN
from havre.datasets.verified_io import S3_CA_FILE
from havre.errors import HavreError

#: As ``DatasetSpec.iceberg_namespace``; table and catalog names follow the same rule.
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
CATALOG_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
# MinIO ignores regions, but S3 clients sign with one; without it PyArrow asks AWS instead.
DEFAULT_REGION = "us-east-1"


class PublishError(HavreError):
    """Publishing failed; the message names the step and holds no secret."""

    reason = "DatasetPublishFailed"


@dataclass(frozen=True)
class CatalogDatabase:
    """The PostgreSQL database of a dataset's Iceberg JDBC catalog and the role that writes it."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    #: libpq's sslmode: the password is sent only to a server whose certificate verifies.
    sslmode: str = "verify-full"
    #: The CA that signs the server's certificate (libpq's default: ~/.postgresql/root.crt).
    sslrootcert: str | None = None

    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver); it holds the password: never print it."""
        tls = {"sslmode": self.sslmode}
        if self.sslrootcert:
            tls["sslrootcert"] = self.sslrootcert
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
            query=tls,
        ).render_as_string(hide_password=False)


@dataclass(frozen=True)
class S3Access:
    """The object store (S3 API) and the steward's credentials on the dataset bucket."""

    endpoint_url: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = DEFAULT_REGION
    #: PEM CA that signs an https store's certificate (default: the system's CAs).
    ca_file: str | None = None


@dataclass(frozen=True)
class Publication:
    """Where a dataset goes: catalog name and namespace, bucket and prefix."""

    catalog_name: str
    namespace: str
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        for value, pattern, what in (
            (self.catalog_name, CATALOG_NAME_PATTERN, "catalog name"),
            (self.namespace, NAME_PATTERN, "namespace"),
            (self.bucket, BUCKET_PATTERN, "bucket"),
            (self.prefix, PREFIX_PATTERN, "prefix"),
        ):
            # fullmatch: "$" in these patterns would also accept a trailing newline.
            if not re.fullmatch(pattern, value):
                raise PublishError(f"{what} {value!r} does not match {pattern}", "InvalidSpec")

    @property
    def warehouse(self) -> str:
        """``s3://bucket/prefix``: every table of the dataset lives below it."""
        return f"s3://{self.bucket}/{self.prefix}"

    def table_location(self, table: str) -> str:
        """Where ``table``'s data and metadata files go."""
        return f"{self.warehouse}/{table}"


@dataclass(frozen=True)
class PublishedTable:
    """A table as published: name in the catalog, location, rows, current metadata file."""

    identifier: str
    location: str
    rows: int
    metadata_location: str


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


@contextmanager
def _step(what: str, secrets: tuple[str, ...]) -> Iterator[None]:
    """Turn any library failure during ``what`` into a PublishError without secrets."""
    try:
        yield
    except PublishError:
        raise
    except Exception as exc:  # SQLAlchemy, PyArrow (OSError) and PyIceberg errors alike
        detail = _redact(f"{type(exc).__name__}: {exc}", secrets)
        # No chaining: the original exception may quote the connection URL.
        raise PublishError(f"{what}: {detail}") from None


def open_catalog(target: Publication, database: CatalogDatabase, store: S3Access) -> SqlCatalog:
    """The dataset's catalog through PyIceberg, creating Iceberg's catalog tables if absent."""
    secrets = (database.password, store.secret_key)
    where = f"{database.host}:{database.port}/{database.database}"
    with _step(f"cannot open the Iceberg catalog in database {where}", secrets):
        return SqlCatalog(
            target.catalog_name,
            uri=database.url(),
            warehouse=target.warehouse,
            init_catalog_tables="true",
            **{
                # PyArrow's S3 with the store's certificate verified (verified_io.py).
                "py-io-impl": "havre.datasets.verified_io.VerifiedPyArrowFileIO",
                **({S3_CA_FILE: store.ca_file} if store.ca_file else {}),
                "s3.endpoint": store.endpoint_url,
                "s3.access-key-id": store.access_key,
                "s3.secret-access-key": store.secret_key,
                "s3.region": store.region,
                # MinIO serves buckets as paths, not as host names.
                "s3.force-virtual-addressing": "false",
            },
        )


def publish_tables(
    tables: Mapping[str, pa.Table],
    target: Publication,
    database: CatalogDatabase,
    store: S3Access,
) -> list[PublishedTable]:
    """Write each table (keyed by name) as an Iceberg table of ``target``; return what was done.

    The namespace is created if absent. A table that exists keeps its location and its rows
    are replaced by the new ones; a table at another location is refused.
    """
    secrets = (database.password, store.secret_key)
    catalog = open_catalog(target, database, store)
    try:
        with _step(f"cannot create namespace {target.namespace}", secrets):
            catalog.create_namespace_if_not_exists(target.namespace, {"location": target.warehouse})
        return [
            _publish_one(catalog, target, name.lower(), data, secrets)
            for name, data in tables.items()
        ]
    finally:
        catalog.engine.dispose()


def _publish_one(
    catalog: SqlCatalog,
    target: Publication,
    name: str,
    data: pa.Table,
    secrets: tuple[str, ...],
) -> PublishedTable:
    if not re.fullmatch(NAME_PATTERN, name):
        raise PublishError(f"table name {name!r} does not match {NAME_PATTERN}", "InvalidSpec")
    identifier = f"{target.namespace}.{name}"
    location = target.table_location(name)
    lowered = data.rename_columns([column.lower() for column in data.column_names])
    with _step(f"cannot write table {identifier} to {location}", secrets):
        try:
            table = catalog.load_table(identifier)
        except NoSuchTableError:
            table = catalog.create_table(identifier, schema=lowered.schema, location=location)
            table.append(lowered)
        else:
            if table.location().rstrip("/") != location:
                raise PublishError(
                    f"table {identifier} exists at {table.location()}, not {location}; "
                    "drop it from the catalog first"
                )
            table.overwrite(lowered)
        table = table.refresh()
    return PublishedTable(
        identifier=identifier,
        location=location,
        rows=lowered.num_rows,
        metadata_location=table.metadata_location,
    )
