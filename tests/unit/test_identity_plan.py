"""The identity plan: one group per workspace and role, members from the same source as
Trino's group file, nobody while suspended or expired."""

from __future__ import annotations

import dataclasses

from havre.api import names
from havre.api.model import Role
from havre.pipeline.render.identity import (
    STORAGE_POLICY_ATTRIBUTE,
    WORKSPACE_UID_ATTRIBUTE,
    access_holders,
    render_identity_lockdown,
    render_identity_plan,
)
from havre.pipeline.render.trino_access import render_group_file
from havre.pipeline.validate import ValidWorkspace, validate_workspace
from tests.unit.conftest import NOW, load_example

UID = "0f1e2d3c-0000-4000-8000-000000000001"


def test_groups_are_full_paths_per_workspace_and_role(cardio: ValidWorkspace) -> None:
    plan = render_identity_plan(dataclasses.replace(cardio, uid=UID), "havre")
    assert plan.workspace_group.path == "/havre/cardio"
    assert [g.path for g in plan.role_groups] == [
        "/havre/cardio/owner",
        "/havre/cardio/analyst",
        "/havre/cardio/viewer",
    ]
    assert {g.name: g.members for g in plan.role_groups} == {
        "owner": ("alice",),
        "analyst": ("bob",),
        "viewer": ("carol",),
    }
    assert plan.usernames == ("alice", "bob", "carol")


def test_every_group_carries_the_workspace_uid_and_roles_their_storage_policy(
    cardio: ValidWorkspace,
) -> None:
    plan = render_identity_plan(dataclasses.replace(cardio, uid=UID), "havre")
    for group in (plan.workspace_group, *plan.role_groups):
        assert group.attributes[WORKSPACE_UID_ATTRIBUTE] == (UID,)
    assert STORAGE_POLICY_ATTRIBUTE not in plan.workspace_group.attributes
    assert [g.attributes[STORAGE_POLICY_ATTRIBUTE] for g in plan.role_groups] == [
        ("havre-ws-cardio--owner",),
        ("havre-ws-cardio--analyst",),
        ("havre-ws-cardio--viewer",),
    ]


def test_suspended_or_expired_workspace_groups_hold_nobody(cardio: ValidWorkspace) -> None:
    suspended = dataclasses.replace(cardio, spec=cardio.spec.model_copy(update={"suspended": True}))
    expired = dataclasses.replace(cardio, expired=True)
    for ws in (suspended, expired):
        plan = render_identity_plan(ws, "havre")
        assert not plan.enabled
        assert all(g.members == () for g in plan.role_groups)
        assert render_group_file(ws) == ""


def test_trino_groups_and_identity_groups_come_from_the_same_holders(
    cardio: ValidWorkspace,
) -> None:
    holders = access_holders(cardio)
    lines = dict(line.split(":") for line in render_group_file(cardio).splitlines())
    assert {Role(r): tuple(u.split(",")) for r, u in lines.items()} == {
        r: users for r, users in holders.items() if users
    }


def test_member_policy_names_never_collide_with_another_workspace() -> None:
    # "a-owner" is a valid workspace name; its own policy must differ from a's owner policy.
    taken = {names.storage_principal(w) for w in ("a", "a-owner", "a-owner-viewer")}
    member = {names.member_storage_policy(w, r.value) for w in ("a", "a-owner") for r in Role}
    assert not taken & member
    assert len(member) == 2 * len(Role)


def test_a_withdrawn_or_pending_approval_holds_nobody() -> None:
    spec = load_example("cardio")["spec"]
    for approval in ({"decision": "Rejected", "by": "oidc:carla"}, None):
        ws = validate_workspace("cardio", {**spec, "approval": approval}, NOW)
        plan = render_identity_plan(ws, "havre")
        assert not plan.enabled and plan.usernames == ()


def test_an_unreadable_workspace_groups_hold_nobody_and_keep_their_uid() -> None:
    plan = render_identity_lockdown("cardio", UID, "havre")
    assert not plan.enabled and plan.usernames == ()
    assert plan.workspace_group.attributes[WORKSPACE_UID_ATTRIBUTE] == (UID,)
