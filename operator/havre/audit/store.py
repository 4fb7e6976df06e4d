"""The audit bucket on the platform object store: object lock in compliance mode.

Each batch is written once with a compliance-mode retention: while it holds, no
credential — the operator's, the platform admin's, MinIO's root — can delete or
overwrite it (a PUT on its key only adds a version; ``verify`` reports that too).
A bucket gets object lock only when it is created, so ``ensure_bucket`` creates it with
it, and refuses a bucket of that name that has none.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import MinioException, S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention

from havre.audit.trail import PREFIX, batch_key, digest, sequence_of


class StoreError(RuntimeError):
    """The object store refused or failed; ``reason`` is CamelCase."""

    def __init__(self, message: str, reason: str = "AuditStoreUnavailable") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Tail:
    """The last batch of the chain: the next one is ``sequence + 1`` naming ``hash``."""

    sequence: int
    hash: str


class AuditStore:
    """Batches of one audit bucket."""

    def __init__(self, client: Minio, bucket: str, retention_days: int) -> None:
        self.client = client
        self.bucket = bucket
        self.retention_days = retention_days

    def ensure_bucket(self) -> None:
        """Create the bucket with object lock and a compliance default retention; refuse an
        existing bucket without compliance-mode object lock."""
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, object_lock=True)
                self.client.set_object_lock_config(
                    self.bucket, ObjectLockConfig(COMPLIANCE, self.retention_days, DAYS)
                )
                return
            config = self.client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code == "ObjectLockConfigurationNotFoundError":
                raise StoreError(
                    f"bucket {self.bucket} exists without object lock; the trail needs a bucket "
                    "created with object lock (choose another name or recreate it)",
                    reason="AuditBucketNotLocked",
                ) from exc
            raise StoreError(f"object store: {exc.code}") from exc
        except (MinioException, OSError, urllib3.exceptions.HTTPError) as exc:
            raise StoreError(f"object store unreachable: {type(exc).__name__}") from exc
        if config.mode != COMPLIANCE:
            raise StoreError(
                f"bucket {self.bucket} has object lock mode {config.mode}, not COMPLIANCE",
                reason="AuditBucketNotLocked",
            )

    def _exists_after(self, sequence: int) -> bool:
        start = batch_key(sequence) if sequence >= 0 else PREFIX
        # With versions: a key hidden by a delete marker still holds its batch.
        found = self.client.list_objects(
            self.bucket, prefix=PREFIX, start_after=start, include_version=True
        )
        return any(sequence_of(obj.object_name or "") is not None for obj in found)

    def tail(self) -> Tail | None:
        """The last batch, found in O(log n) listings (keys sort in sequence order)."""
        try:
            if not self._exists_after(-1):
                return None
            # The last sequence L is the smallest s with no key after it.
            low, high = 0, 1
            while self._exists_after(high):
                low, high = high + 1, high * 2
            while low < high:
                middle = (low + high) // 2
                if self._exists_after(middle):
                    low = middle + 1
                else:
                    high = middle
            last = low
            return Tail(last, digest(self.original(batch_key(last))))
        except (MinioException, OSError, urllib3.exceptions.HTTPError) as exc:
            raise StoreError(f"cannot read the trail's tail: {type(exc).__name__}") from exc

    def _exists(self, sequence: int) -> bool:
        key = batch_key(sequence)
        found = self.client.list_objects(self.bucket, prefix=key, include_version=True)
        return any(obj.object_name == key for obj in found)

    def original(self, key: str) -> bytes:
        """The first version written under ``key`` (what the receiver wrote)."""
        versions = [
            v
            for v in self.client.list_objects(self.bucket, prefix=key, include_version=True)
            if v.object_name == key and not v.is_delete_marker
        ]
        if not versions:
            raise StoreError(f"{key} has no version left", reason="AuditBatchMissing")
        first = min(versions, key=lambda v: v.last_modified)
        return self.read(key, first.version_id)

    def read(self, key: str, version_id: str | None = None) -> bytes:
        response = self.client.get_object(self.bucket, key, version_id=version_id)
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def put_batch(self, sequence: int, data: bytes, now: dt.datetime) -> None:
        """Write batch ``sequence`` once, locked until ``now`` + the retention."""
        key = batch_key(sequence)
        try:
            if self._exists(sequence):
                raise StoreError(f"{key} already exists: another writer?", reason="AuditChainFork")
            until = now + dt.timedelta(days=self.retention_days)
            self.client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type="application/x-ndjson",
                retention=Retention(COMPLIANCE, until),
            )
        except (MinioException, OSError, urllib3.exceptions.HTTPError) as exc:
            raise StoreError(f"cannot write {key}: {type(exc).__name__}: {exc}") from exc

    def _versions(self) -> dict[str, list[Any]]:
        versions: dict[str, list[Any]] = {}
        for obj in self.client.list_objects(self.bucket, prefix=PREFIX, include_version=True):
            name = obj.object_name or ""
            if sequence_of(name) is not None:
                versions.setdefault(name, []).append(obj)
        return versions

    def batches(self) -> Iterator[tuple[str, bytes]]:
        """Every batch in sequence order, as first written: a later version or a delete
        marker (which object lock cannot refuse) never replaces what the receiver wrote."""
        for name, versions in sorted(self._versions().items()):
            originals = [v for v in versions if not v.is_delete_marker]
            if not originals:
                continue
            first = min(originals, key=lambda v: v.last_modified)
            yield name, self.read(name, first.version_id)

    def written_over(self) -> list[str]:
        """Batch keys with a later version or a delete marker: someone tried to replace
        or hide a batch (its original is still there, and is what is read)."""
        return sorted(name for name, versions in self._versions().items() if len(versions) > 1)


def receiver_policy(bucket: str) -> dict[str, object]:
    """The receiver's object-store policy: read and append to the audit bucket, nothing
    else (no delete: compliance mode would refuse it anyway)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketVersions",
                    "s3:GetBucketObjectLockConfiguration",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:PutObjectRetention",
                    "s3:GetObjectRetention",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
        ],
    }
