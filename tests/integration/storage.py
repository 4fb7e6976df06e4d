"""S3 clients as a workspace and as the platform, for storage tests."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from minio import Minio
from minio.error import S3Error

from devstack.s3_clients import s3_client
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

SECRET = by_name("Secret")


def root_client(minio: dict[str, Any]) -> Minio:
    return s3_client(minio)


def workspace_client(cluster: Cluster, workspace: str, minio: dict[str, Any]) -> Minio | None:
    """An S3 client with the credentials the operator wrote into the workspace's namespace
    (verifying the store with the stack's CA, from ``minio``)."""
    secret = cluster.get(SECRET, "havre-storage", f"ws-{workspace}")
    if secret is None:
        return None
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    endpoint = data["S3_ENDPOINT"].split("://", 1)[1].rstrip("/")
    return s3_client(
        {**minio, "endpoint": endpoint}, data["AWS_ACCESS_KEY_ID"], data["AWS_SECRET_ACCESS_KEY"]
    )


def put(client: Minio, bucket: str, key: str, data: bytes) -> None:
    client.put_object(bucket, key, io.BytesIO(data), len(data))


def read(client: Minio, bucket: str, key: str) -> bytes:
    response = client.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def denied(action: Any) -> bool:
    """True when ``action()`` is refused by the store (access denied or disabled key)."""
    try:
        action()
    except S3Error as exc:
        return exc.code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch")
    return False


def inventory(client: Minio, bucket: str) -> dict[tuple[str, str], str]:
    """Every object version in ``bucket`` with the SHA-256 of its content."""
    found = {}
    for obj in client.list_objects(bucket, recursive=True, include_version=True):
        if obj.is_delete_marker or obj.object_name is None:
            continue
        response = client.get_object(bucket, obj.object_name, version_id=obj.version_id)
        try:
            found[(obj.object_name, obj.version_id or "")] = hashlib.sha256(
                response.read()
            ).hexdigest()
        finally:
            response.close()
            response.release_conn()
    return found
