"""MinIO enforces per-user bucket policies created through its admin API."""

from __future__ import annotations

import io
import uuid

import pytest
from minio.error import S3Error

from devstack.s3_clients import admin_client, s3_client
from devstack.secrets import random_secret
from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration


def _bucket_policy(bucket: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def test_user_with_bucket_policy_writes_its_bucket_and_is_denied_another(
    platform: Platform,
) -> None:
    info = platform("minio")
    suffix = uuid.uuid4().hex[:8]
    own, other = f"ws-{suffix}", f"other-{suffix}"
    root = s3_client(info)
    root.make_bucket(own)
    root.make_bucket(other)

    admin = admin_client(info)
    user, password = f"researcher-{suffix}", random_secret()
    admin.user_add(user, password)
    admin.policy_add(f"only-{own}", policy=_bucket_policy(own))
    admin.attach_policy([f"only-{own}"], user=user)

    client = s3_client(info, user, password)
    body = b"cohort,count\nA,12\n"
    client.put_object(own, "results.csv", io.BytesIO(body), len(body))
    assert client.get_object(own, "results.csv").read() == body

    with pytest.raises(S3Error) as denied:
        client.put_object(other, "results.csv", io.BytesIO(body), len(body))
    assert denied.value.code == "AccessDenied"
    with pytest.raises(S3Error) as denied_read:
        next(client.list_objects(other))
    assert denied_read.value.code == "AccessDenied"
    assert not list(root.list_objects(other))
