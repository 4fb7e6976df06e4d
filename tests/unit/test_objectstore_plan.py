"""The storage plan and the Secret that carries a workspace's credentials."""

from __future__ import annotations

import base64
import dataclasses

from havre.pipeline.render.objectstore import render_objectstore_plan, render_objectstore_secret
from havre.pipeline.render.objectstore_policy import DatasetLocation
from havre.pipeline.validate import ValidWorkspace

SECRET = "s" * 40


def test_plan_names_quota_and_grants(cardio: ValidWorkspace) -> None:
    plan = render_objectstore_plan(cardio, (DatasetLocation("datasets", "snds"),), SECRET)
    assert plan.bucket == "ws-cardio"
    assert plan.quota_bytes == 100 * 2**30
    assert plan.enabled
    assert 3 <= len(plan.access_key) <= 20
    resources = [r for s in plan.policy["Statement"] for r in s["Resource"]]
    assert "arn:aws:s3:::datasets/snds/*" in resources


def test_suspended_or_expired_workspace_gets_disabled_credentials(cardio: ValidWorkspace) -> None:
    suspended = dataclasses.replace(cardio, spec=cardio.spec.model_copy(update={"suspended": True}))
    assert not render_objectstore_plan(suspended, (), SECRET).enabled
    expired = dataclasses.replace(cardio, expired=True)
    assert not render_objectstore_plan(expired, (), SECRET).enabled


def test_secret_lives_in_the_workspace_namespace_and_never_in_a_repr(
    cardio: ValidWorkspace,
) -> None:
    plan = render_objectstore_plan(cardio, (), SECRET)
    secret = render_objectstore_secret(cardio, plan, "https://minio:9000")
    assert secret["metadata"]["namespace"] == "ws-cardio"
    assert base64.b64decode(secret["data"]["AWS_SECRET_ACCESS_KEY"]).decode() == SECRET
    assert SECRET not in repr(plan)
