"""What a workspace needs on the object store, and the Secret that hands it to Trino."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.quantity import parse_quantity
from havre.pipeline.render.secrets import STORAGE_SECRET as STORAGE_SECRET
from havre.pipeline.render.secrets import render_secret
from havre.pipeline.render.storage_policy import DatasetLocation, render_storage_policy
from havre.pipeline.validate import ValidWorkspace


@dataclass(frozen=True)
class StoragePlan:
    bucket: str
    quota_bytes: int
    policy_name: str
    policy: dict[str, Any]
    access_key: str
    secret_key: str
    #: False while the workspace is suspended or expired: the user exists but cannot sign in.
    enabled: bool

    def __repr__(self) -> str:  # the secret key must never reach a log line
        return f"StoragePlan(bucket={self.bucket!r}, user={self.access_key!r})"


def render_storage_plan(
    ws: ValidWorkspace, datasets: tuple[DatasetLocation, ...], secret_key: str
) -> StoragePlan:
    return StoragePlan(
        bucket=names.bucket(ws.name),
        quota_bytes=int(parse_quantity(ws.size.storage)),
        policy_name=names.storage_principal(ws.name),
        policy=render_storage_policy(names.bucket(ws.name), datasets),
        access_key=names.storage_access_key(ws.name),
        secret_key=secret_key,
        enabled=not (ws.spec.suspended or ws.expired),
    )


def render_storage_secret(
    ws: ValidWorkspace, plan: StoragePlan, endpoint_url: str
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
