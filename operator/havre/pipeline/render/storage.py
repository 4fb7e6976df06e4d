"""What a workspace needs on the object store, and the Secret that hands it to Trino."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.quantity import parse_quantity
from havre.pipeline.render.storage_policy import DatasetLocation, render_storage_policy
from havre.pipeline.validate import ValidWorkspace

STORAGE_SECRET = "havre-storage"  # noqa: S105 - a Secret name


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
        quota_bytes=int(parse_quantity(ws.spec.size.storage)),
        policy_name=names.storage_principal(ws.name),
        policy=render_storage_policy(names.bucket(ws.name), datasets),
        access_key=names.storage_access_key(ws.name),
        secret_key=secret_key,
        enabled=not (ws.spec.suspended or ws.expired),
    )


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def render_storage_secret(
    ws: ValidWorkspace, plan: StoragePlan, endpoint_url: str
) -> dict[str, Any]:
    """The workspace's S3 credentials, in its namespace only; ``data`` (not ``stringData``)
    so that the live object can be compared with it and an idle operator writes nothing."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": STORAGE_SECRET, "namespace": names.namespace(ws.name)},
        "type": "Opaque",
        "data": {
            "AWS_ACCESS_KEY_ID": _b64(plan.access_key),
            "AWS_SECRET_ACCESS_KEY": _b64(plan.secret_key),
            "S3_ENDPOINT": _b64(endpoint_url),
            "S3_BUCKET": _b64(plan.bucket),
        },
    }
