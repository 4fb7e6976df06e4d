"""Workspaces on a real MinIO: what a researcher's S3 client can and cannot do, and the store
staying exactly as ensured however often the operator repeats itself."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from minio import Minio, MinioAdmin
from minio.error import S3Error

from devstack.s3_clients import admin_client, s3_client
from devstack.secrets import random_secret
from havre.errors import DependencyUnavailable
from havre.external.minio import MinioStore
from havre.external.objectstore import UNAVAILABLE, ObjectStoreRejected
from havre.pipeline.render.objectstore_policy import DatasetLocation, render_objectstore_policy
from tests.integration.conftest import Platform
from tests.integration.helpers import free_port

pytestmark = pytest.mark.integration

MiB = 1 << 20
COHORT = "cohort/2024"
ROWS = b"patient,age\n1,54\n"


@dataclass(frozen=True)
class Tenant:
    """One workspace's names on the store, unique to the test."""

    bucket: str
    user: str
    secret: str
    policy: str


@pytest.fixture(scope="module")
def minio(platform: Platform) -> dict[str, Any]:
    return platform("minio")


@pytest.fixture
def store(minio: dict[str, Any]) -> MinioStore:
    return MinioStore(
        minio["endpoint"], minio["access_key"], minio["secret_key"], ca_file=minio["ca"]
    )


@pytest.fixture
def admin(minio: dict[str, Any]) -> MinioAdmin:
    return admin_client(minio)


@pytest.fixture
def tenant(store: MinioStore) -> Iterator[Callable[[], Tenant]]:
    """Makes tenants with unique names; removes whatever of them remains at the end."""
    made: list[Tenant] = []

    def make() -> Tenant:
        suffix = uuid.uuid4().hex[:10]
        # MinIO access keys are at most 20 characters.
        made.append(Tenant(f"ws-{suffix}", f"hv{suffix}", random_secret(32), f"havre-ws-{suffix}"))
        return made[-1]

    yield make
    for t in made:
        store.delete_user(t.user)
        store.delete_policy(t.policy)
        store.delete_bucket(t.bucket)


@pytest.fixture
def dataset(minio: dict[str, Any], store: MinioStore) -> Iterator[DatasetLocation]:
    """A steward's bucket: the granted cohort, a sibling sharing its name's start, and more."""
    root = s3_client(minio)
    bucket = f"data-{uuid.uuid4().hex[:10]}"
    root.make_bucket(bucket)
    for key in (f"{COHORT}/visits.csv", f"{COHORT}/labs/hba1c.csv", "cohort/2024-old/x.csv"):
        root.put_object(bucket, key, io.BytesIO(ROWS), len(ROWS))
    root.put_object(bucket, "registry/deaths.csv", io.BytesIO(ROWS), len(ROWS))
    yield DatasetLocation(bucket, COHORT)
    store.delete_bucket(bucket)


def provision(
    store: MinioStore, t: Tenant, grants: tuple[DatasetLocation, ...] = (), quota: int = 1 << 30
) -> list[bool]:
    """What the operator does for a workspace; returns each step's "changed"."""
    return [
        store.ensure_bucket(t.bucket, quota),
        store.ensure_policy(t.policy, render_objectstore_policy(t.bucket, grants)),
        store.ensure_user(t.user, t.secret),
        store.attach_policy(t.policy, t.user),
    ]


def client(minio: dict[str, Any], t: Tenant) -> Minio:
    return s3_client(minio, t.user, t.secret)


def put(s3: Minio, bucket: str, key: str, body: bytes = ROWS) -> None:
    s3.put_object(bucket, key, io.BytesIO(body), len(body))


def refusal(call: Callable[[], object]) -> str:
    """The S3 error code ``call`` fails with (the test fails if it succeeds)."""
    with pytest.raises(S3Error) as raised:
        call()
    return str(raised.value.code)


def test_researcher_writes_own_bucket_and_is_denied_another_workspace(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant]
) -> None:
    mine, theirs = tenant(), tenant()
    provision(store, mine)
    provision(store, theirs)
    s3 = client(minio, mine)
    put(s3, mine.bucket, "results/table.csv")
    assert s3.get_object(mine.bucket, "results/table.csv").read() == ROWS
    assert [o.object_name for o in s3.list_objects(mine.bucket, recursive=True)] == [
        "results/table.csv"
    ]
    put(client(minio, theirs), theirs.bucket, "secret.csv")
    assert refusal(lambda: put(s3, theirs.bucket, "intrusion.csv")) == "AccessDenied"
    assert refusal(lambda: s3.get_object(theirs.bucket, "secret.csv")) == "AccessDenied"
    assert refusal(lambda: next(s3.list_objects(theirs.bucket))) == "AccessDenied"


def test_dataset_is_readable_only_while_the_policy_grants_it(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant], dataset: DatasetLocation
) -> None:
    t = tenant()
    provision(store, t, grants=(dataset,))
    s3 = client(minio, t)
    assert s3.get_object(dataset.bucket, f"{COHORT}/visits.csv").read() == ROWS
    listed = {o.object_name for o in s3.list_objects(dataset.bucket, f"{COHORT}/", recursive=True)}
    assert listed == {f"{COHORT}/visits.csv", f"{COHORT}/labs/hba1c.csv"}

    revoked_at = time.monotonic()
    assert store.ensure_policy(t.policy, render_objectstore_policy(t.bucket))
    while True:
        try:
            s3.get_object(dataset.bucket, f"{COHORT}/visits.csv").read()
        except S3Error as exc:
            assert exc.code == "AccessDenied"
            break
        assert time.monotonic() - revoked_at < 30, "dataset still readable 30 s after revocation"
        time.sleep(0.01)
    print(f"dataset revocation delay: {(time.monotonic() - revoked_at) * 1000:.0f} ms")
    assert refusal(lambda: next(s3.list_objects(dataset.bucket, f"{COHORT}/"))) == "AccessDenied"
    put(s3, t.bucket, "still-works.csv")  # revoking the dataset leaves the workspace alone


def test_dataset_can_never_be_written_nor_read_outside_its_prefix(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant], dataset: DatasetLocation
) -> None:
    t = tenant()
    provision(store, t, grants=(dataset,))
    s3 = client(minio, t)
    b = dataset.bucket
    assert refusal(lambda: put(s3, b, f"{COHORT}/forged.csv")) == "AccessDenied"
    assert refusal(lambda: s3.remove_object(b, f"{COHORT}/visits.csv")) == "AccessDenied"
    assert refusal(lambda: s3.get_object(b, "cohort/2024-old/x.csv")) == "AccessDenied"
    assert refusal(lambda: s3.get_object(b, "registry/deaths.csv")) == "AccessDenied"
    for prefix in ("", "cohort/", COHORT, "registry/"):
        with pytest.raises(S3Error) as listing:
            next(s3.list_objects(b, prefix))
        assert listing.value.code == "AccessDenied", prefix
    # MinIO refuses ".." in a listing prefix before it evaluates the policy.
    escape = refusal(lambda: next(s3.list_objects(b, f"{COHORT}/../../registry/")))
    assert escape in ("AccessDenied", "XMinioInvalidResourceName")
    assert s3.get_object(b, f"{COHORT}/visits.csv").read() == ROWS


def test_writes_past_the_bucket_quota_are_refused(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant]
) -> None:
    t = tenant()
    provision(store, t, quota=MiB)
    assert store.hard_quota(t.bucket) == MiB
    s3 = client(minio, t)
    big = b"x" * MiB
    assert refusal(lambda: put(s3, t.bucket, "big.bin", big)) == "XMinioAdminBucketQuotaExceeded"
    # Usage is known from MinIO's data scanner, so smaller writes are refused only after its
    # next pass has counted them: keep writing until then.
    chunk, written, started = b"x" * (256 << 10), 0, time.monotonic()
    while True:
        try:
            put(s3, t.bucket, f"part-{written}.bin", chunk)
        except S3Error as exc:
            assert exc.code == "XMinioAdminBucketQuotaExceeded"
            break
        written += 1
        assert time.monotonic() - started < 300, f"{written} x 256 KiB written, never refused"
        time.sleep(1)
    print(
        f"quota of 1 MiB refused writes after {written * 256} KiB "
        f"and {time.monotonic() - started:.0f} s"
    )


def test_quota_is_updated_in_place(store: MinioStore, tenant: Callable[[], Tenant]) -> None:
    t = tenant()
    assert store.ensure_bucket(t.bucket, 10 * MiB)
    assert store.ensure_bucket(t.bucket, 20 * MiB)
    assert not store.ensure_bucket(t.bucket, 20 * MiB)
    assert store.hard_quota(t.bucket) == 20 * MiB


def test_ensuring_fifty_times_leaves_one_user_one_policy_one_bucket(
    minio: dict[str, Any],
    store: MinioStore,
    admin: MinioAdmin,
    tenant: Callable[[], Tenant],
    dataset: DatasetLocation,
) -> None:
    t = tenant()
    assert provision(store, t, grants=(dataset,)) == [True, True, True, True]
    for _ in range(49):
        assert provision(store, t, grants=(dataset,)) == [False, False, False, False]
    assert [u for u in json.loads(admin.user_list()) if u == t.user] == [t.user]
    assert [p for p in json.loads(admin.policy_list()) if p == t.policy] == [t.policy]
    root = s3_client(minio)
    assert [b.name for b in root.list_buckets() if b.name == t.bucket] == [t.bucket]
    assert root.get_bucket_versioning(t.bucket).status == "Enabled"
    status = store.user_status(t.user)
    assert status is not None and status.enabled and status.policies == (t.policy,)


def test_disabled_user_is_refused_and_enabling_restores_access(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant]
) -> None:
    t = tenant()
    provision(store, t)
    s3 = client(minio, t)
    put(s3, t.bucket, "before.csv")
    assert store.set_user_enabled(t.user, False)
    assert refusal(lambda: put(s3, t.bucket, "while-disabled.csv")) == "InvalidAccessKeyId"
    assert not store.ensure_user(t.user, t.secret, enabled=False)  # stays disabled
    assert refusal(lambda: s3.get_object(t.bucket, "before.csv")) == "InvalidAccessKeyId"
    assert store.set_user_enabled(t.user, True)
    assert s3.get_object(t.bucket, "before.csv").read() == ROWS


def test_ensure_user_restores_a_secret_changed_behind_its_back(
    minio: dict[str, Any], store: MinioStore, admin: MinioAdmin, tenant: Callable[[], Tenant]
) -> None:
    t = tenant()
    provision(store, t)
    admin.user_add(t.user, random_secret(32))
    s3 = client(minio, t)
    assert refusal(lambda: put(s3, t.bucket, "x.csv")) == "SignatureDoesNotMatch"
    assert store.ensure_user(t.user, t.secret)
    put(s3, t.bucket, "x.csv")
    assert not store.ensure_user(t.user, t.secret)


def test_delete_bucket_removes_every_version_and_delete_marker(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant]
) -> None:
    t = tenant()
    provision(store, t)
    s3 = client(minio, t)
    for body in (b"v1", b"v2", b"v3"):
        put(s3, t.bucket, "table.parquet", body)
    s3.remove_object(t.bucket, "table.parquet")
    for _ in range(2):  # MinIO adds no marker over a marker: write in between
        put(s3, t.bucket, "notes.txt")
        s3.remove_object(t.bucket, "notes.txt")
    versions = list(s3.list_objects(t.bucket, recursive=True, include_version=True))
    assert len(versions) == 8 and sum(v.is_delete_marker for v in versions) == 3
    assert store.delete_bucket(t.bucket)
    assert not store.bucket_exists(t.bucket)
    assert not store.delete_bucket(t.bucket)


def test_deleting_a_workspace_leaves_other_workspaces_untouched(
    minio: dict[str, Any], store: MinioStore, tenant: Callable[[], Tenant]
) -> None:
    gone, kept = tenant(), tenant()
    provision(store, gone)
    provision(store, kept)
    # The policy is still attached: delete_policy detaches it from its user first.
    assert store.delete_policy(gone.policy)
    assert store.delete_user(gone.user)
    assert store.delete_bucket(gone.bucket)
    assert store.user_status(gone.user) is None and store.policy_document(gone.policy) is None
    assert not store.delete_user(gone.user) and not store.delete_policy(gone.policy)
    status = store.user_status(kept.user)
    assert status is not None and status.enabled and status.policies == (kept.policy,)
    assert store.policy_document(kept.policy) is not None
    put(client(minio, kept), kept.bucket, "still-here.csv")


def test_unreachable_store_is_unavailable_and_its_message_holds_no_secret(
    minio: dict[str, Any],
) -> None:
    endpoint = f"127.0.0.1:{free_port()}"
    store = MinioStore(endpoint, minio["access_key"], minio["secret_key"], ca_file=minio["ca"])
    with pytest.raises(DependencyUnavailable) as raised:
        store.ensure_bucket("ws-unreachable", MiB)
    assert raised.value.reason == UNAVAILABLE
    assert endpoint in raised.value.message
    assert minio["secret_key"] not in raised.value.message
    assert minio["secret_key"] not in repr(store)


def test_wrong_operator_secret_is_rejected_without_echoing_it(minio: dict[str, Any]) -> None:
    wrong = random_secret(32)
    store = MinioStore(minio["endpoint"], minio["access_key"], wrong, ca_file=minio["ca"])
    with pytest.raises(ObjectStoreRejected) as raised:
        store.user_status("hvnobody")
    assert raised.value.code == "SignatureDoesNotMatch"
    assert wrong not in raised.value.message and minio["endpoint"] in raised.value.message
