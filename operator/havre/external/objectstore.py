"""What Havre needs from an S3 object store, independent of the product behind it.

Every method is idempotent and keyed by a stable name (``names.bucket``,
``names.storage_principal``), so a reconcile may call it on every run: a method writes only
when the store differs from what is asked, and returns whether it changed something (the
operator reports changes as repairs). Buckets and policies record the UID of the
Workspace they belong to (bucket tag, policy ``ID``; see ``ownership.py``). MinIO implements
it today (``havre.external.minio``); a second S3 backend implements the same Protocol.

Failures are Havre errors: a store that does not answer (refused connection, timeout, 5xx)
raises ``DependencyUnavailable`` with reason ``ObjectStoreUnavailable``; a request it refuses
(4xx: bad credentials, a name owned by someone else) raises ``ObjectStoreRejected``. Messages
name the endpoint and the operation, never a secret key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from havre.errors import HavreError
from havre.external.ownership import Recorded

UNAVAILABLE = "ObjectStoreUnavailable"

# IAM evaluates these as sets (and a lone string as a one-element set); stores echo them back
# in their own order, so they are compared sorted.
_SET_VALUED = frozenset({"Action", "NotAction", "Resource", "NotResource"})


class ObjectStoreRejected(HavreError):
    """The object store answered and refused the request (HTTP 4xx).

    Temporary: the fix (credentials in the operator's settings, a bucket name taken by
    another owner) lies outside the object's spec, so the reconcile retries with backoff.
    """

    reason = "ObjectStoreRejected"
    permanent = False

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class UserStatus:
    """An object-store user as the store reports it (its secret is never readable)."""

    enabled: bool
    #: Names of the policies attached to the user, sorted.
    policies: tuple[str, ...]


class ObjectStore(Protocol):
    """Buckets, policies and users of workspaces on one S3 object store."""

    @property
    def endpoint(self) -> str:
        """``host:port`` of the store, for messages."""
        ...

    def bucket_exists(self, bucket: str) -> bool:
        """True when ``bucket`` exists."""
        ...

    def list_buckets(self, prefix: str = "") -> list[str]:
        """Names of the buckets starting with ``prefix``, sorted."""
        ...

    def bucket_owner(self, bucket: str) -> Recorded:
        """Whether ``bucket`` exists and the Workspace UID its tag records."""
        ...

    def set_bucket_owner(self, bucket: str, uid: str) -> bool:
        """Record ``uid`` as the bucket's owner (its tag). True when it changed."""
        ...

    def ensure_bucket(self, bucket: str, quota_bytes: int, owner: str = "") -> bool:
        """Create ``bucket`` if absent, with versioning enabled, a hard quota of
        ``quota_bytes`` (set or updated) and, when given, ``owner`` recorded in its tag.
        True when anything changed."""
        ...

    def hard_quota(self, bucket: str) -> int | None:
        """The bucket's hard quota in bytes, or None when it has none."""
        ...

    def delete_bucket(self, bucket: str) -> bool:
        """Remove every object version and delete marker of ``bucket``, then the bucket.
        True when the bucket existed."""
        ...

    def policy_document(self, name: str) -> dict[str, Any] | None:
        """The IAM policy document stored as ``name``, or None when there is none."""
        ...

    def ensure_policy(self, name: str, document: Mapping[str, Any]) -> bool:
        """Create policy ``name``, or replace it only when its document differs
        (``same_policy``). Users it is attached to get the new document at once."""
        ...

    def delete_policy(self, name: str) -> bool:
        """Detach policy ``name`` from whoever holds it, then remove it. True when it existed."""
        ...

    def user_status(self, access_key: str) -> UserStatus | None:
        """Whether the user exists, is enabled, and which policies it holds."""
        ...

    def ensure_user(self, access_key: str, secret_key: str, enabled: bool = True) -> bool:
        """Create the user if absent, reset its secret when it no longer matches, and
        enable or disable it, in an order that never lets a user meant to be disabled
        act, even for a moment. True when anything changed."""
        ...

    def set_user_enabled(self, access_key: str, enabled: bool) -> bool:
        """Enable or disable the user without knowing its secret (revocation on expiry or
        suspension). Disabling a user that does not exist is a no-op."""
        ...

    def attach_policy(self, policy: str, user: str) -> bool:
        """Attach ``policy`` to ``user`` unless it already is. True when it changed.
        Both must exist: ``ObjectStoreRejected`` otherwise."""
        ...

    def detach_policy(self, policy: str, user: str) -> bool:
        """Detach ``policy`` from ``user`` if attached; a missing user is a no-op."""
        ...

    def delete_user(self, access_key: str) -> bool:
        """Remove the user (its policy attachments go with it). True when it existed."""
        ...


def canonical_policy(document: Mapping[str, Any]) -> Any:
    """An order-insensitive form of an IAM policy document, for comparison: statements
    sorted, set-valued fields and condition values as sorted lists."""
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    canonical = [_canonical_statement(s) for s in statements]
    return {
        **{k: v for k, v in document.items() if k != "Statement"},
        "Statement": sorted(canonical, key=lambda s: json.dumps(s, sort_keys=True)),
    }


def same_policy(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when two documents grant the same thing up to ordering (the store may reorder)."""
    return bool(canonical_policy(a) == canonical_policy(b))


def _as_sorted_list(value: Any) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    return sorted(set(values))


def _canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _SET_VALUED:
            result[key] = _as_sorted_list(value)
        elif key == "Condition":
            result[key] = {
                operator: {k: _as_sorted_list(v) for k, v in pairs.items()}
                for operator, pairs in value.items()
            }
        else:
            result[key] = value
    return result
