"""The HTTP pool under Havre's MinIO clients (``MinioStore``, ``MinioUsage``).

The ``minio`` package's default pool waits five minutes and retries five times: a reconcile
would hang instead of reporting the store unavailable and retrying later. Certificates are
always verified, against ``ca_file`` or the system's bundle.
"""

from __future__ import annotations

import certifi
import urllib3


def verified_pool(
    ca_file: str | None, timeout: float, *, maxsize: int, retries: urllib3.Retry
) -> urllib3.PoolManager:
    """A pool that verifies the server's certificate and gives up after ``timeout`` seconds
    per connection or read, with ``retries``."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        maxsize=maxsize,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_file or certifi.where(),
        retries=retries,
    )
