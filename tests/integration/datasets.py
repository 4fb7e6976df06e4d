"""Published datasets for tests: a steward's database and bucket, the CLI run, a Trino over them.

``create_dataset`` makes what the operator will make for a Dataset (a catalog database owned
by a steward role, a bucket), then publishes the synthetic SNDS sample with the ``havre``
CLI. ``DatasetTrino`` starts a local Trino 476 from devstack's install with one read-only
Iceberg JDBC catalog per dataset, as a granted workspace's Trino gets them.
"""

from __future__ import annotations

import io
import shutil
import uuid
from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
import requests
from psycopg import sql

from devstack import process
from devstack.components.trino import (
    node_properties,
    server_properties,
    stack_trust_store,
    start_trino,
    write_jvm_config,
    write_properties,
)
from devstack.paths import StackPaths
from devstack.secrets import random_secret
from devstack.tls import StackCA
from devstack.trino_client import execute
from devstack.wait import wait_ready
from havre import cli
from havre.api import names
from havre.datasets.publish import CatalogDatabase, Publication, S3Access
from tests.integration.helpers import free_port
from tests.integration.storage import root_client

NAMESPACE, PREFIX = "snds", "sample/v1"
TRINO = "dataset-trino"
#: org.apache.iceberg.jdbc.JdbcUtil 1.9.1 (the iceberg-core jar in Trino 476's plugin),
#: V0 tables, the V1 column, then the namespace properties, in the order Iceberg runs them.
ICEBERG_DDL: tuple[LiteralString, ...] = (
    "CREATE TABLE iceberg_tables(catalog_name VARCHAR(255) NOT NULL,"
    "table_namespace VARCHAR(255) NOT NULL,table_name VARCHAR(255) NOT NULL,"
    "metadata_location VARCHAR(1000),previous_metadata_location VARCHAR(1000),"
    "PRIMARY KEY (catalog_name, table_namespace, table_name))",
    "ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)",
    "CREATE TABLE iceberg_namespace_properties(catalog_name VARCHAR(255) NOT NULL,"
    "namespace VARCHAR(255) NOT NULL,property_key VARCHAR(255),property_value VARCHAR(1000),"
    "PRIMARY KEY (catalog_name, namespace, property_key))",
)


@dataclass(frozen=True)
class Dataset:
    """A published dataset: where it lives, the steward's connections, what the CLI printed."""

    name: str
    target: Publication
    database: CatalogDatabase
    store: S3Access
    output: str


def create_dataset(
    minio: dict[str, Any], postgres: dict[str, Any], rows: int, seed: int, prepared: bool
) -> Dataset:
    """Create a dataset's database (with Iceberg's own catalog tables when ``prepared``) and
    bucket, then publish the sample into them with ``havre dataset publish-sample``."""
    name = f"snds-{uuid.uuid4().hex[:8]}"
    database, password = names.dataset_database(name), random_secret()
    steward = f"{database}_steward"
    with psycopg.connect(postgres["dsn"], autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(steward), sql.Literal(password)
            )
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(*map(sql.Identifier, (database, steward)))
        )
        admin.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
    catalog_db = CatalogDatabase(
        postgres["host"], postgres["port"], database, steward, password, **postgres["tls"]
    )
    if prepared:
        with psycopg.connect(catalog_db.url().replace("+psycopg", ""), autocommit=True) as conn:
            for statement in ICEBERG_DDL:
                conn.execute(statement)
    bucket = f"ds-{name}"
    root_client(minio).make_bucket(bucket)
    env = {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "PGHOST": postgres["host"],
        "PGPORT": str(postgres["port"]),
        "PGUSER": steward,
        "PGPASSWORD": password,
        "PGSSLMODE": postgres["tls"]["sslmode"],
        "PGSSLROOTCERT": postgres["tls"]["sslrootcert"],
    }
    argv = ["dataset", "publish-sample", "--dataset", name, "--bucket", bucket]
    argv += ["--prefix", PREFIX, "--namespace", NAMESPACE]
    argv += ["--rows", str(rows), "--seed", str(seed)]
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert cli.main(argv, env) == 0
    return Dataset(
        name=name,
        target=Publication(name, NAMESPACE, bucket, PREFIX),
        database=catalog_db,
        store=S3Access(minio["url"], minio["access_key"], minio["secret_key"], ca_file=minio["ca"]),
        output=printed.getvalue(),
    )


def drop_dataset(minio: dict[str, Any], postgres: dict[str, Any], dataset: Dataset) -> None:
    """Remove the dataset's files, bucket, database and steward role."""
    client = root_client(minio)
    for obj in client.list_objects(dataset.target.bucket, recursive=True):
        client.remove_object(dataset.target.bucket, obj.object_name or "")
    client.remove_bucket(dataset.target.bucket)
    with psycopg.connect(postgres["dsn"], autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dataset.database.database)
            )
        )
        admin.execute(
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(dataset.database.user))
        )


def catalog_properties(dataset: Dataset) -> dict[str, str]:
    """A read-only Iceberg JDBC catalog over the dataset, as a granted workspace gets it."""
    db, store = dataset.database, dataset.store
    return {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "jdbc",
        "iceberg.security": "read_only",
        "iceberg.jdbc-catalog.driver-class": "org.postgresql.Driver",
        "iceberg.jdbc-catalog.connection-url": f"jdbc:postgresql://{db.host}:{db.port}/"
        f"{db.database}?sslmode={db.sslmode}&sslrootcert={db.sslrootcert}",
        "iceberg.jdbc-catalog.connection-user": db.user,
        "iceberg.jdbc-catalog.connection-password": db.password,
        "iceberg.jdbc-catalog.catalog-name": dataset.target.catalog_name,
        "iceberg.jdbc-catalog.default-warehouse-dir": dataset.target.warehouse,
        "fs.native-s3.enabled": "true",
        "s3.endpoint": store.endpoint_url,
        "s3.region": store.region,
        "s3.path-style-access": "true",
        "s3.aws-access-key": store.access_key,
        "s3.aws-secret-key": store.secret_key,
    }


class DatasetTrino:
    """A local Trino 476 over datasets (one catalog each, named by the mapping's keys)."""

    def __init__(self, paths: StackPaths, datasets: dict[str, Dataset]) -> None:
        self.paths = paths
        self.home = paths.component_dir(TRINO)
        self.port = free_port()
        self.ca = StackCA(paths.state)
        self.session = requests.Session()
        self.session.verify, self.session.trust_env = str(self.ca.cert_path), False
        etc = self.home / "etc"
        write_properties(etc / "node.properties", node_properties(TRINO, self.home / "data"))
        write_jvm_config(etc, trust_store=stack_trust_store(paths.state))
        keystore = self.ca.combined_pem(TRINO)
        server = server_properties(self.port, keystore, self.ca.cert_path, random_secret(64))
        write_properties(etc / "config.properties", server)
        for label, dataset in datasets.items():
            write_properties(etc / "catalog" / f"{label}.properties", catalog_properties(dataset))

    def start(self) -> None:
        """Start the server and wait until it accepts queries."""
        log = self.paths.log(TRINO)
        etc, data = self.home / "etc", self.home / "data"
        pid = start_trino(TRINO, etc, data, log, self.paths.state)
        url = f"https://127.0.0.1:{self.port}/v1/info"
        wait_ready(
            TRINO,
            lambda: self.session.get(url, timeout=2).json().get("starting") is False,
            timeout=240,
            log=log,
            pid=pid,
        )

    def query(self, statement: str) -> list[list[Any]]:
        """Run one statement as user ``researcher`` (no authentication here); return its rows."""
        return execute(self.port, self.session, "researcher", statement, host="127.0.0.1")

    def stop(self) -> None:
        """Stop the server and remove its files."""
        process.stop_component(TRINO, self.paths.state)
        shutil.rmtree(self.home, ignore_errors=True)
