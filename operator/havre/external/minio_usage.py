"""``UsageSource`` on MinIO: the admin API's data-usage report (``mc admin info``'s source).

MinIO's scanner refreshes the report once per cycle (about a minute by default); buckets
written since then show their previous size. Failures are the same Havre errors as the
``MinioStore`` raises (``ObjectStoreUnavailable``, ``ObjectStoreRejected``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import urllib3
from minio import MinioAdmin
from minio.credentials.providers import StaticProvider

from havre.external.minio_errors import translated
from havre.external.minio_http import verified_pool
from havre.external.usage import BucketUsage, UsageReport

# MinIO writes nanoseconds; Python reads at most microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _timestamp(raw: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", str(raw)).replace("Z", "+00:00"))
    except ValueError:
        return None
    # The zero time (year 1) means the scanner has not finished a cycle yet.
    return when if when.year > 1 else None


def parse_usage(raw: dict[str, Any]) -> UsageReport:
    """The report from MinIO's data-usage JSON document."""
    buckets = {
        name: BucketUsage(
            bytes=float(info.get("size", 0)), objects=float(info.get("objectsCount", 0))
        )
        for name, info in (raw.get("bucketsUsageInfo") or {}).items()
        if isinstance(info, dict)
    }
    return UsageReport(buckets=buckets, updated=_timestamp(raw.get("lastUpdate")))


class MinioUsage:
    """Reads the data-usage report of one MinIO deployment with admin credentials."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = True,
        ca_file: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._endpoint = endpoint
        http = verified_pool(
            ca_file, timeout, maxsize=2, retries=urllib3.Retry(total=1, backoff_factor=0.2)
        )
        self._admin = MinioAdmin(
            endpoint=endpoint,
            credentials=StaticProvider(access_key, secret_key),
            secure=secure,
            http_client=http,
        )

    def __repr__(self) -> str:
        return f"MinioUsage(endpoint={self._endpoint!r})"

    def bucket_usage(self) -> UsageReport:
        with translated(self._endpoint, "reading bucket usage"):
            raw = json.loads(self._admin.get_data_usage_info())  # type: ignore[no-untyped-call]
        return parse_usage(raw if isinstance(raw, dict) else {})
