"""``ObjectStore`` on MinIO: the S3 API for buckets and objects, the admin API for IAM users,
policies and bucket quotas (``minio`` package, ``Minio`` and ``MinioAdmin``).

What the server does that shapes this code (MinIO 2026-02, minio-py 7.2.20):
- access keys are 3 to 20 characters, secret keys 8 to 40;
- attaching or detaching a policy that is already so answers 400
  ``XMinioAdminPolicyChangeAlreadyApplied``; a policy still attached cannot be removed
  (``XMinioIAMPolicyInUse``); ``user_add`` on an existing user resets its secret, keeps its
  policies, and enables it;
- condition values come back in another order than they were written;
- reading the tags of a bucket deleted after the client cached its region answers "no
  tags" (``NoSuchTagSet``), not ``NoSuchBucket``;
- a hard quota refuses at once an object at least as large as the quota, but counts the
  bucket's usage only from the data scanner's last pass, so a bucket may overshoot by what
  is written in one scanner cycle (about a minute) before writes are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, Tags
from minio.credentials.providers import StaticProvider
from minio.deleteobjects import DeleteObject
from minio.error import MinioAdminException, S3Error
from minio.versioningconfig import VersioningConfig

from havre.api.names import OWNER_KEY
from havre.external.minio_errors import admin_code, translated
from havre.external.minio_http import verified_pool
from havre.external.minio_payload import SealedAdmin
from havre.external.objectstore import ObjectStoreRejected, UserStatus, same_policy
from havre.external.ownership import Recorded

# DeleteObjects takes at most 1000 keys per request.
_DELETE_BATCH = 1000
# Objects written while a bucket is being emptied make its removal fail; a few passes suffice.
_EMPTY_PASSES = 3


class MinioStore:
    """One MinIO deployment, reached with credentials allowed to administer it.

    The secret key stays inside the clients: it appears in no message, log or repr.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = True,
        ca_file: str | None = None,
        timeout: float = 15.0,
        retries: int = 2,
    ) -> None:
        self._endpoint = endpoint
        self._secure = secure
        self._http = verified_pool(
            ca_file,
            timeout,
            maxsize=10,
            retries=urllib3.Retry(
                total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        credentials = StaticProvider(access_key, secret_key)
        self._s3 = Minio(endpoint, credentials=credentials, secure=secure, http_client=self._http)
        # Secrets in admin payloads sealed with PBKDF2, not Argon2id (``minio_payload``).
        self._admin = SealedAdmin(
            endpoint=endpoint, credentials=credentials, secure=secure, http_client=self._http
        )

    def __repr__(self) -> str:
        return f"MinioStore(endpoint={self._endpoint!r})"

    @property
    def endpoint(self) -> str:
        """``host:port`` of the store."""
        return self._endpoint

    # Buckets

    def bucket_exists(self, bucket: str) -> bool:
        """True when ``bucket`` exists."""
        with translated(self._endpoint, f"checking bucket {bucket}"):
            return bool(self._s3.bucket_exists(bucket))

    def list_buckets(self, prefix: str = "") -> list[str]:
        """Names of the buckets starting with ``prefix``, sorted."""
        with translated(self._endpoint, "listing buckets"):
            return sorted(b.name for b in self._s3.list_buckets() if b.name.startswith(prefix))

    def bucket_owner(self, bucket: str) -> Recorded:
        """Whether ``bucket`` exists and the owner its tag records."""
        what = f"bucket {bucket}"
        with translated(self._endpoint, f"reading the tags of bucket {bucket}"):
            try:
                tags = self._s3.get_bucket_tags(bucket)
            except S3Error as exc:
                if exc.code == "NoSuchBucket":
                    return Recorded(what, exists=False)
                raise
            # "No tags" is also the answer for a bucket deleted since the client cached its
            # region: only an untagged bucket's existence needs asking.
            if tags is None and not self._s3.bucket_exists(bucket):
                return Recorded(what, exists=False)
        uid = tags.get(OWNER_KEY, "") if tags is not None else ""
        return Recorded(what, exists=True, uid=str(uid))

    def set_bucket_owner(self, bucket: str, uid: str) -> bool:
        """Record ``uid`` in the bucket's tag, keeping its other tags. True if changed."""
        with translated(self._endpoint, f"tagging bucket {bucket}"):
            tags = self._s3.get_bucket_tags(bucket) or Tags.new_bucket_tags()
            if tags.get(OWNER_KEY) == uid:
                return False
            updated = Tags.new_bucket_tags()
            updated.update(tags)
            updated[OWNER_KEY] = uid
            self._s3.set_bucket_tags(bucket, updated)
        return True

    def ensure_bucket(self, bucket: str, quota_bytes: int, owner: str = "") -> bool:
        """Create ``bucket`` if absent; enable versioning; set its hard quota; record
        ``owner``. True if changed."""
        if quota_bytes < 1:
            raise ValueError("quota_bytes must be positive: MinIO reads 0 as no quota")
        changed = False
        with translated(self._endpoint, f"ensuring bucket {bucket}"):
            if not self._s3.bucket_exists(bucket):
                try:
                    self._s3.make_bucket(bucket)
                except S3Error as exc:
                    # Another reconcile created it since we looked: that is what we want.
                    if exc.code != "BucketAlreadyOwnedByYou":
                        raise
                changed = True
            if self._s3.get_bucket_versioning(bucket).status != ENABLED:
                self._s3.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
                changed = True
            if self.hard_quota(bucket) != quota_bytes:
                self._admin.bucket_quota_set(bucket, quota_bytes)
                changed = True
        if owner and self.set_bucket_owner(bucket, owner):
            changed = True
        return changed

    def hard_quota(self, bucket: str) -> int | None:
        """The bucket's hard quota in bytes, or None when it has none."""
        with translated(self._endpoint, f"reading the quota of bucket {bucket}"):
            quota = json.loads(self._admin.bucket_quota_get(bucket) or "{}")
        # The server enforces "size" first and the older "quota" field otherwise.
        size = int(quota.get("size") or quota.get("quota") or 0)
        return size if size and quota.get("quotatype") == "hard" else None

    def delete_bucket(self, bucket: str) -> bool:
        """Remove every object version and delete marker, then the bucket. True if it existed."""
        with translated(self._endpoint, f"deleting bucket {bucket}"):
            if not self._s3.bucket_exists(bucket):
                return False
            passes = 1
            while True:
                self._remove_all_versions(bucket)
                try:
                    self._s3.remove_bucket(bucket)
                except S3Error as exc:
                    if exc.code != "BucketNotEmpty" or passes == _EMPTY_PASSES:
                        raise
                    passes += 1
                else:
                    return True

    def _remove_all_versions(self, bucket: str) -> None:
        batch: list[DeleteObject] = []
        for item in self._s3.list_objects(bucket, recursive=True, include_version=True):
            batch.append(DeleteObject(item.object_name, item.version_id))
            if len(batch) == _DELETE_BATCH:
                self._remove_batch(bucket, batch)
                batch = []
        if batch:
            self._remove_batch(bucket, batch)

    def _remove_batch(self, bucket: str, batch: list[DeleteObject]) -> None:
        # remove_objects is lazy: its errors exist only once the iterator is consumed.
        errors = list(self._s3.remove_objects(bucket, batch))
        if errors:
            raise ObjectStoreRejected(
                f"object store {self._endpoint} kept {len(errors)} object version(s) of "
                f"bucket {bucket}: {errors[0].code}",
                code=errors[0].code,
                status=400,
            )

    # Policies

    def policy_document(self, name: str) -> dict[str, Any] | None:
        """The policy document stored as ``name``, or None."""
        with translated(self._endpoint, f"reading policy {name}"):
            try:
                document: dict[str, Any] = json.loads(self._admin.policy_info(name))
            except MinioAdminException as exc:
                if admin_code(exc) == "XMinioAdminNoSuchPolicy":
                    return None
                raise
        return document

    def ensure_policy(self, name: str, document: Mapping[str, Any]) -> bool:
        """Create or replace policy ``name`` when its document differs. True if changed."""
        current = self.policy_document(name)
        if current is not None and same_policy(current, document):
            return False
        with translated(self._endpoint, f"writing policy {name}"):
            self._admin.policy_add(name, policy=dict(document))
        return True

    def delete_policy(self, name: str) -> bool:
        """Detach policy ``name`` from its users and groups, then remove it. True if existed."""
        if self.policy_document(name) is None:
            return False
        with translated(self._endpoint, f"deleting policy {name}"):
            entities = json.loads(
                self._admin.get_policy_entities(users=[], groups=[], policies=[name])
            )
            for mapping in entities.get("policyMappings") or []:
                for user in mapping.get("users") or []:
                    self._detach(name, user=user)
                for group in mapping.get("groups") or []:
                    self._detach(name, group=group)
            self._admin.policy_remove(name)
        return True

    # Users

    def user_status(self, access_key: str) -> UserStatus | None:
        """Whether the user exists, is enabled, and its policies; None when absent."""
        with translated(self._endpoint, f"reading user {access_key}"):
            try:
                info = json.loads(self._admin.user_info(access_key))
            except MinioAdminException as exc:
                if admin_code(exc) == "XMinioAdminNoSuchUser":
                    return None
                raise
        policies = sorted(p for p in (info.get("policyName") or "").split(",") if p)
        return UserStatus(enabled=info.get("status") == "enabled", policies=tuple(policies))

    def ensure_user(self, access_key: str, secret_key: str, enabled: bool = True) -> bool:
        """Create, re-secret, enable or disable the user as needed. True if changed."""
        status = self.user_status(access_key)
        with translated(self._endpoint, f"ensuring user {access_key}"):
            if status is None:
                # A new user holds no policy yet: being enabled until the next call is harmless.
                self._add_user(access_key, secret_key)
                if not enabled:
                    self._admin.user_disable(access_key)
                return True
            if not enabled:
                # A disabled user's secret cannot be checked; it is reset when re-enabled.
                if status.enabled:
                    self._admin.user_disable(access_key)
                return status.enabled
            if status.enabled and self._secret_matches(access_key, secret_key):
                return False
            # One call sets the secret and enables: the old secret never works again.
            self._add_user(access_key, secret_key)
        return True

    def _add_user(self, access_key: str, secret_key: str) -> None:
        """``user_add``: its payload is sealed with PBKDF2 (``minio_payload``), so users are
        added concurrently without Argon2id's 64 MiB each."""
        self._admin.user_add(access_key, secret_key)

    def _secret_matches(self, access_key: str, secret_key: str) -> bool:
        """Sign a harmless request as the user: only a wrong secret fails its signature."""
        client = Minio(
            self._endpoint,
            credentials=StaticProvider(access_key, secret_key),
            secure=self._secure,
            http_client=self._http,
        )
        try:
            client.list_buckets()
        except S3Error as exc:
            if exc.code in ("SignatureDoesNotMatch", "InvalidAccessKeyId"):
                return False
            if exc.code != "AccessDenied":
                raise
        return True

    def set_user_enabled(self, access_key: str, enabled: bool) -> bool:
        """Enable or disable the user; disabling a missing user is a no-op. True if changed."""
        status = self.user_status(access_key)
        if status is None and not enabled:
            return False
        if status is not None and status.enabled == enabled:
            return False
        with translated(
            self._endpoint, f"{'enabling' if enabled else 'disabling'} user {access_key}"
        ):
            if enabled:
                self._admin.user_enable(access_key)
            else:
                self._admin.user_disable(access_key)
        return True

    def attach_policy(self, policy: str, user: str) -> bool:
        """Attach ``policy`` to ``user`` unless it already is. True if changed."""
        status = self.user_status(user)
        if status is not None and policy in status.policies:
            return False
        with translated(self._endpoint, f"attaching policy {policy} to {user}"):
            if status is None:
                return self._attach(policy, user)  # the store says the user is missing
            # One call with no encrypted payload: the policies the user holds plus this one.
            # (The attach call's answer is encrypted by MinIO with Argon2id, 64 MiB behind
            # a server-wide lock: a thousand new workspaces would queue on it.)
            self._admin.policy_set(",".join(sorted({*status.policies, policy})), user=user)
        return True

    def _attach(self, policy: str, user: str) -> bool:
        try:
            self._admin.attach_policy([policy], user=user)
        except MinioAdminException as exc:
            if admin_code(exc) == "XMinioAdminPolicyChangeAlreadyApplied":
                return False
            raise
        return True

    def detach_policy(self, policy: str, user: str) -> bool:
        """Detach ``policy`` from ``user`` if attached. True if changed."""
        status = self.user_status(user)
        if status is None or policy not in status.policies:
            return False
        with translated(self._endpoint, f"detaching policy {policy} from {user}"):
            return self._detach(policy, user=user)

    def _detach(self, policy: str, *, user: str | None = None, group: str | None = None) -> bool:
        try:
            self._admin.detach_policy([policy], user=user, group=group)
        except MinioAdminException as exc:
            if admin_code(exc) in (
                "XMinioAdminPolicyChangeAlreadyApplied",
                "XMinioAdminNoSuchUser",
            ):
                return False
            raise
        return True

    def delete_user(self, access_key: str) -> bool:
        """Remove the user and its policy attachments. True when it existed."""
        with translated(self._endpoint, f"deleting user {access_key}"):
            try:
                self._admin.user_remove(access_key)
            except MinioAdminException as exc:
                if admin_code(exc) == "XMinioAdminNoSuchUser":
                    return False
                raise
        return True
