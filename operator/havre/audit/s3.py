"""An S3 client for the audit bucket, with bounded waits (the client's defaults wait
minutes: a receiver would hold Trino's requests instead of answering 503)."""

from __future__ import annotations

import certifi
import urllib3
from minio import Minio

from havre.settings import StorageSettings


def audit_client(storage: StorageSettings, timeout: float = 10.0) -> Minio:
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=storage.ca_file or certifi.where(),
        retries=urllib3.Retry(total=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    return Minio(
        storage.endpoint,
        access_key=storage.access_key,
        secret_key=storage.secret_key.get_secret_value(),
        secure=storage.secure,
        http_client=pool,
    )
