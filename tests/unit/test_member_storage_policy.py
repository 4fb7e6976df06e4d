"""Members' own object-store policies: per role, only for current members, datasets
read-only from the same grants as the workspace's policy."""

from __future__ import annotations

import dataclasses
from typing import Any

from havre.api.model import Role
from havre.pipeline.render.member_storage import USERNAME_KEY, render_member_policies
from havre.pipeline.render.objectstore_policy import DatasetLocation, render_objectstore_policy
from havre.pipeline.validate import ValidWorkspace

SNDS = DatasetLocation("havre-datasets", "snds/v1")


def _by_role(ws: ValidWorkspace, *datasets: DatasetLocation) -> dict[Role, Any]:
    return {p.role: p.document for p in render_member_policies(ws, datasets)}


def _actions(document: dict[str, Any], resource: str) -> set[str]:
    return {a for s in document["Statement"] if resource in s["Resource"] for a in s["Action"]}


def test_every_statement_requires_a_current_member_of_the_role(cardio: ValidWorkspace) -> None:
    policies = _by_role(cardio, SNDS)
    for role, users in ((Role.OWNER, ["alice"]), (Role.ANALYST, ["bob"]), (Role.VIEWER, ["carol"])):
        for statement in policies[role]["Statement"]:
            assert statement["Condition"]["StringEquals"][USERNAME_KEY] == users


def test_viewer_reads_the_workspace_bucket_and_never_writes(cardio: ValidWorkspace) -> None:
    viewer = _by_role(cardio)[Role.VIEWER]
    objects = _actions(viewer, "arn:aws:s3:::ws-cardio/*")
    assert objects == {"s3:GetObject"}
    analyst = _by_role(cardio)[Role.ANALYST]
    assert {"s3:PutObject", "s3:DeleteObject"} <= _actions(analyst, "arn:aws:s3:::ws-cardio/*")


def test_datasets_are_read_only_and_follow_the_grants(cardio: ValidWorkspace) -> None:
    granted = _by_role(cardio, SNDS)[Role.ANALYST]
    assert _actions(granted, "arn:aws:s3:::havre-datasets/snds/v1/*") == {"s3:GetObject"}
    revoked = _by_role(cardio)[Role.ANALYST]
    assert not any("havre-datasets" in r for s in revoked["Statement"] for r in s["Resource"])
    # The same dataset statements as the workspace's own policy.
    workspace = render_objectstore_policy("ws-cardio", [SNDS])["Statement"]
    member = [
        {k: v for k, v in s.items() if k != "Condition"} | _prefix_only(s)
        for s in granted["Statement"]
    ]
    assert [s for s in member if s["Sid"].startswith("Dataset")] == [
        s for s in workspace if s["Sid"].startswith("Dataset")
    ]


def _prefix_only(statement: dict[str, Any]) -> dict[str, Any]:
    like = statement["Condition"].get("StringLike")
    return {"Condition": {"StringLike": like}} if like else {}


def test_roles_without_members_and_suspended_workspaces_have_no_policy(
    cardio: ValidWorkspace,
) -> None:
    alone = dataclasses.replace(cardio, members=cardio.members[:1])
    assert {r: d is not None for r, d in _by_role(alone).items()} == {
        Role.OWNER: True,
        Role.ANALYST: False,
        Role.VIEWER: False,
    }
    suspended = dataclasses.replace(cardio, spec=cardio.spec.model_copy(update={"suspended": True}))
    assert all(d is None for d in _by_role(suspended).values())


def test_member_policies_record_the_workspace_uid(cardio: ValidWorkspace) -> None:
    ws = dataclasses.replace(cardio, uid="u-1")
    for policy in render_member_policies(ws, (SNDS,)):
        assert policy.document is not None and policy.document["ID"] == "havre.io/workspace-uid=u-1"
