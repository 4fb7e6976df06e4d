"""What a workspace's Trino needs outside Kubernetes, made directly for tests.

The operator's own clients for the catalog database and identity come with later work;
until then these helpers create the same things with psycopg, the MinIO admin API and
Keycloak's admin API, and the Secrets the rendered Deployments reference.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
from minio import Minio, MinioAdmin
from minio.error import MinioAdminException
from psycopg import sql

from devstack.keycloak_clients import operator_admin
from devstack.s3_clients import admin_client, s3_client
from devstack.tls import StackCA
from havre.api import names
from havre.pipeline.render.objectstore_policy import DatasetLocation, render_objectstore_policy
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET
from havre.pipeline.render.trino_config import KEYSTORE_FILE
from havre.pipeline.render.trino_workloads import TLS_SECRET, render_internal_secret

#: Tables of Iceberg's JDBC catalog, schema V1 (``iceberg_type`` marks views), as in
#: Iceberg 1.9's JdbcUtil; Trino expects them to exist.
ICEBERG_CATALOG_TABLES = (
    "CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, "
    "namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255), "
    "property_value VARCHAR(1000), PRIMARY KEY (catalog_name, namespace, property_key))",
    "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
    "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
    "metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), "
    "iceberg_type VARCHAR(5), PRIMARY KEY (catalog_name, table_namespace, table_name))",
)


def _connect(pg: dict[str, Any], database: str = "postgres") -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg["password"],
        dbname=database,
        autocommit=True,
        **pg["tls"],
    )


def create_catalog_database(pg: dict[str, Any], database: str, owner: str) -> None:
    """A database owned by ``owner`` holding empty Iceberg catalog tables."""
    with _connect(pg) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(*map(sql.Identifier, (database, owner)))
        )
        conn.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
    with _connect(pg, database) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
        for statement in ICEBERG_CATALOG_TABLES:
            conn.execute(statement)


def create_role(pg: dict[str, Any], role: str) -> str:
    """A login role with a fresh password; returns the password."""
    password = secrets.token_urlsafe(24)
    with _connect(pg) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    return password


def grant_catalog_read(pg: dict[str, Any], database: str, role: str) -> None:
    """Let ``role`` read, and only read, the Iceberg catalog held in ``database``."""
    with _connect(pg) as conn:
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
    with _connect(pg, database) as conn:
        conn.execute(
            sql.SQL("GRANT SELECT ON iceberg_tables, iceberg_namespace_properties TO {}").format(
                sql.Identifier(role)
            )
        )


def drop_databases_and_roles(
    pg: dict[str, Any], databases: Iterable[str], roles: Iterable[str]
) -> None:
    with _connect(pg) as conn:
        for database in databases:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def root_clients(minio: dict[str, Any]) -> tuple[Minio, MinioAdmin]:
    return s3_client(minio), admin_client(minio)


def create_storage(
    minio: dict[str, Any],
    workspace: str,
    buckets: Iterable[str],
    datasets: Iterable[DatasetLocation],
) -> tuple[str, str]:
    """``buckets``, and the workspace's S3 user with Havre's policy (its own bucket, the
    datasets read-only); returns the user's (access key, secret key)."""
    s3, admin = root_clients(minio)
    for bucket in buckets:
        s3.make_bucket(bucket)
    access_key, secret_key = names.storage_access_key(workspace), secrets.token_urlsafe(30)
    policy = names.storage_principal(workspace)
    admin.policy_add(policy, policy=render_objectstore_policy(names.bucket(workspace), datasets))
    admin.user_add(access_key, secret_key)
    admin.attach_policy([policy], user=access_key)
    return access_key, secret_key


def remove_storage(minio: dict[str, Any], workspace: str, buckets: Iterable[str]) -> None:
    """Remove the workspace's S3 user and policy, and ``buckets`` with every object."""
    s3, admin = root_clients(minio)
    with contextlib.suppress(MinioAdminException):
        admin.user_remove(names.storage_access_key(workspace))
    with contextlib.suppress(MinioAdminException):
        admin.policy_remove(names.storage_principal(workspace))
    for bucket in buckets:
        if not s3.bucket_exists(bucket):
            continue
        for obj in s3.list_objects(bucket, recursive=True):
            if obj.object_name is not None:
                s3.remove_object(bucket, obj.object_name)
        s3.remove_bucket(bucket)


def create_keycloak_user(keycloak: dict[str, Any], username: str) -> str:
    """A realm user who belongs to no workspace; returns the password."""
    password = secrets.token_urlsafe(18)
    operator_admin(keycloak).create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@havre.test",
            "emailVerified": True,
            "firstName": "Not",
            "lastName": "Member",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    return password


def delete_keycloak_user(keycloak: dict[str, Any], username: str) -> None:
    admin = operator_admin(keycloak)
    user_id = admin.get_user_id(username)
    if user_id is not None:
        admin.delete_user(user_id)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _secret(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {key: _b64(value) for key, value in data.items()},
    }


def workspace_secrets(
    state: Path, workspace: str, s3: tuple[str, str], db: tuple[str, str]
) -> list[dict[str, Any]]:
    """The Secrets the Trino Deployments reference, as the operator will write them."""
    namespace = names.namespace(workspace)
    cert, key = StackCA(state).issue(
        f"trino-{namespace}", dns=("localhost", f"trino.{namespace}.svc"), ips=("127.0.0.1",)
    )
    return [
        _secret(namespace, TLS_SECRET, {KEYSTORE_FILE: key.read_text() + cert.read_text()}),
        render_internal_secret(workspace, secrets.token_urlsafe(48)),
        _secret(
            namespace,
            STORAGE_SECRET,
            {"AWS_ACCESS_KEY_ID": s3[0], "AWS_SECRET_ACCESS_KEY": s3[1]},
        ),
        _secret(namespace, CATALOG_SECRET, {"PGUSER": db[0], "PGPASSWORD": db[1]}),
    ]
