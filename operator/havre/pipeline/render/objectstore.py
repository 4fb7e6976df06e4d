"""What a workspace needs on the object store, and the Secret that hands it to Trino."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.quantity import parse_quantity
from havre.pipeline.render.member_storage import MemberPolicy
from havre.pipeline.render.objectstore_policy import DatasetLocation, render_objectstore_policy
from havre.pipeline.render.secrets import STORAGE_SECRET, render_secret
from havre.pipeline.validate import ValidWorkspace


@dataclass(frozen=True)
class ObjectStorePlan:
    """The workspace's bucket, policy and user, all recorded as the Workspace's (``owner``)."""

    workspace: str
    #: The Workspace's UID, recorded on the bucket (tag) and the policy (its ``ID``).
    owner: str
    bucket: str
    quota_bytes: int
    policy_name: str
    policy: dict[str, Any]
    access_key: str
    secret_key: str
    #: False while the workspace is suspended or expired: the user exists but cannot sign in.
    enabled: bool
    #: False when only access is to be withdrawn (the spec cannot be read): nothing is
    #: created; the user is disabled and the policy narrowed to the workspace's own bucket.
    provision: bool = True
    #: The policies of the members' own temporary credentials, per role (identity on only).
    member_policies: tuple[MemberPolicy, ...] = ()

    def __repr__(self) -> str:  # the secret key must never reach a log line
        return f"ObjectStorePlan(bucket={self.bucket!r}, user={self.access_key!r})"


def render_objectstore_plan(
    ws: ValidWorkspace, datasets: tuple[DatasetLocation, ...], secret_key: str
) -> ObjectStorePlan:
    return ObjectStorePlan(
        workspace=ws.name,
        owner=ws.uid,
        bucket=names.bucket(ws.name),
        quota_bytes=int(parse_quantity(ws.size.storage)),
        policy_name=names.storage_principal(ws.name),
        policy=render_objectstore_policy(names.bucket(ws.name), datasets, owner=ws.uid),
        access_key=names.storage_access_key(ws.name),
        secret_key=secret_key,
        enabled=ws.enabled,
    )


def render_lockdown_plan(workspace: str, uid: str) -> ObjectStorePlan:
    """Access withdrawn, nothing created: for a workspace whose spec cannot be read."""
    return ObjectStorePlan(
        workspace=workspace,
        owner=uid,
        bucket=names.bucket(workspace),
        quota_bytes=1,
        policy_name=names.storage_principal(workspace),
        policy=render_objectstore_policy(names.bucket(workspace), (), owner=uid),
        access_key=names.storage_access_key(workspace),
        secret_key="",
        enabled=False,
        provision=False,
    )


def render_objectstore_secret(
    ws: ValidWorkspace, plan: ObjectStorePlan, endpoint_url: str
) -> dict[str, Any]:
    """The workspace's S3 credentials, in its namespace only."""
    return render_secret(
        ws.name,
        STORAGE_SECRET,
        {
            "AWS_ACCESS_KEY_ID": plan.access_key,
            "AWS_SECRET_ACCESS_KEY": plan.secret_key,
            "S3_ENDPOINT": endpoint_url,
            "S3_BUCKET": plan.bucket,
        },
    )
