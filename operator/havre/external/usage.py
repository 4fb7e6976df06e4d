"""What Havre reads from an object store about how much its buckets hold.

The store counts usage itself, in the background (MinIO's data scanner), so one call returns
every bucket at once and costs the same for one workspace or a thousand. The operator reads
it periodically for its metrics, never per scrape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BucketUsage:
    """A bucket's size as the store last counted it (every version of every object)."""

    bytes: float
    objects: float


@dataclass(frozen=True)
class UsageReport:
    buckets: dict[str, BucketUsage]
    #: When the store last finished counting; None when it has not counted yet.
    updated: dt.datetime | None


class UsageSource(Protocol):
    def bucket_usage(self) -> UsageReport:
        """Usage of every bucket the store has counted. A bucket created since the store's
        last count is absent (unknown), not zero."""
        ...
