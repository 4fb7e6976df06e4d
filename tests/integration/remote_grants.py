"""A remote grant's credentials as the holder issued them, used as a reader would.

The holder's operator writes them into ``havre-federation-grants/havre-grant-<uid>`` on its own
member (federation/remote_grant.py). These helpers read that Secret and use exactly what
it holds — the S3 endpoint with the CA bundle it carries, the catalog host, port, role and
password with ``verify-full`` — so a test proves the Secret is enough to read the dataset
and nothing else, and that deleting the grant cuts it at the source.
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from minio import Minio

from devstack.s3_clients import s3_client
from havre.federation.remote_grant import SECRET_NAMESPACE, GrantCredentials
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from tests.integration.storage import denied, read

SECRET = by_name("Secret")
GRANT = by_name("DatasetGrant")


@dataclass(frozen=True)
class IssuedCredentials:
    secret_name: str
    values: dict[str, str]
    ca_file: str

    def encoded(self, key: str) -> str:
        return base64.b64encode(self.values[key].encode()).decode()

    def s3(self) -> Minio:
        endpoint = self.values["s3-endpoint"].split("://", 1)[1].rstrip("/")
        return s3_client(
            {"endpoint": endpoint, "ca": self.ca_file},
            self.values["s3-access-key"],
            self.values["s3-secret-key"],
        )

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.values["catalog-host"],
            port=int(self.values["catalog-port"]),
            dbname=self.values["catalog-database"],
            user=self.values["catalog-user"],
            password=self.values["catalog-password"],
            sslmode="verify-full",
            sslrootcert=self.ca_file,
            connect_timeout=10,
            autocommit=True,
        )

    def catalog_rows(self) -> int:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT count(*) FROM iceberg_tables WHERE catalog_name = %s",
                [self.values["catalog-name"]],
            ).fetchone()
        return int(row[0]) if row else 0

    def first_object(self) -> str:
        listed = self.s3().list_objects(
            self.values["bucket"], prefix=self.values["prefix"] + "/", recursive=True
        )
        return str(next(o.object_name for o in listed if o.object_name))

    def object_refused(self, key: str) -> bool:
        return denied(lambda: read(self.s3(), self.values["bucket"], key))

    def login_refused(self) -> bool:
        try:
            with self.connect():
                return False
        except psycopg.OperationalError:
            return True


def grant_uid(member: Cluster, grant: str) -> str | None:
    obj = member.get(GRANT, grant)
    return None if obj is None else str(obj["metadata"]["uid"])


def issued(member: Cluster, grant: str, workdir: Path) -> IssuedCredentials | None:
    """The credentials the holder issued for ``grant`` (None until it has)."""
    uid = grant_uid(member, grant)
    if uid is None:
        return None
    secret_name = GrantCredentials(uid).secret
    secret = member.get(SECRET, secret_name, SECRET_NAMESPACE)
    if secret is None:
        return None
    values = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    with tempfile.NamedTemporaryFile("w", suffix=".pem", dir=workdir, delete=False) as ca:
        ca.write(values["ca.pem"])
    return IssuedCredentials(secret_name, values, ca.name)
