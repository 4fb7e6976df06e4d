"""minio-py clients for the stack's MinIO, from its stack.json entry: HTTPS verified against
the stack CA, never plain HTTP and never an unverified certificate."""

from __future__ import annotations

from typing import Any

import urllib3
from minio import Minio, MinioAdmin
from minio.credentials.providers import StaticProvider


def _http(minio: dict[str, Any]) -> urllib3.PoolManager:
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=30),
        cert_reqs="CERT_REQUIRED",
        ca_certs=minio["ca"],
        retries=urllib3.Retry(total=2, backoff_factor=0.2),
    )


def s3_client(
    minio: dict[str, Any], access_key: str | None = None, secret_key: str | None = None
) -> Minio:
    """The S3 API as the root user, or as the given user."""
    credentials = StaticProvider(
        access_key or minio["access_key"], secret_key or minio["secret_key"]
    )
    return Minio(minio["endpoint"], credentials=credentials, secure=True, http_client=_http(minio))


def admin_client(minio: dict[str, Any]) -> MinioAdmin:
    """MinIO's admin API as the root user."""
    return MinioAdmin(
        endpoint=minio["endpoint"],
        credentials=StaticProvider(minio["access_key"], minio["secret_key"]),
        secure=True,
        http_client=_http(minio),
    )
