"""The identity provider in the pipeline: groups follow the members, every way of losing
access (removal, suspension, expiry, withdrawn approval, unreadable spec) empties them in
the removal phase, and neither Keycloak nor any other system down blocks another's
removals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from havre.api import names
from havre.pipeline.apply_identity import teardown_identity
from havre.pipeline.render.identity import WORKSPACE_UID_ATTRIBUTE
from tests.unit.fake_identity import KEYCLOAK_DOWN
from tests.unit.fakes import DOWN, api_server
from tests.unit.identity_world import IdentityWorld
from tests.unit.world import UID, condition, dataset_body, grant_body

EVERYONE = {"owner": {"alice"}, "analyst": {"bob"}, "viewer": {"carol"}}
NOBODY: dict[str, set[str]] = {"owner": set(), "analyst": set(), "viewer": set()}
WRITES = ("create_group", "set_attributes", "add_member", "remove_member", "delete_group")


@pytest.fixture
def world() -> Iterator[IdentityWorld]:
    with api_server() as api:
        yield IdentityWorld(api, datasets=[dataset_body("snds")], grants=[grant_body("g", "snds")])


def test_members_get_their_role_groups_and_their_own_storage_policies(
    world: IdentityWorld,
) -> None:
    outcome = world.reconcile()
    assert world.idp.held() == EVERYONE
    assert world.idp.groups["/havre/cardio"][WORKSPACE_UID_ATTRIBUTE] == (UID,)
    assert world.member_policies() == {"owner": ["alice"], "analyst": ["bob"], "viewer": ["carol"]}
    identity = condition(outcome, "Identity")
    assert (identity["status"], identity["reason"]) == ("True", "Synchronized")
    assert condition(outcome, "Ready")["status"] == "True"


def test_reconciling_again_writes_nothing_to_the_identity_provider(world: IdentityWorld) -> None:
    world.reconcile()
    world.idp.calls.clear()
    world.reconcile()
    assert [m for m, _ in world.idp.calls if m in WRITES] == []


def test_a_removed_member_leaves_the_group_and_the_policy(world: IdentityWorld) -> None:
    world.reconcile()
    world.body["spec"]["members"] = [{"user": "carol", "role": "viewer"}]
    world.reconcile()
    assert world.idp.held() == {**EVERYONE, "analyst": set()}
    assert world.member_policies() == {"owner": ["alice"], "viewer": ["carol"]}


def test_a_withdrawn_approval_empties_the_groups_like_a_suspension_and_keeps_data(
    world: IdentityWorld,
) -> None:
    world.reconcile()
    world.body["spec"]["approval"] = {"decision": "Rejected", "by": "oidc:carla"}
    outcome = world.reconcile()
    assert world.idp.held() == NOBODY, "every member leaves every group"
    assert "/havre/cardio/analyst" in world.idp.groups, "the groups themselves are kept"
    assert world.member_policies() == {}, "members' own credentials lose the bucket"
    assert names.bucket("cardio") in world.store.buckets, "data is kept"
    assert condition(outcome, "Identity")["status"] == "True"
    assert condition(outcome, "Ready")["reason"] == "Rejected"
    world.body["spec"]["approval"] = {"decision": "Approved", "by": "oidc:carla"}
    world.reconcile()
    assert world.idp.held() == EVERYONE, "approved again, access comes back"


def test_suspension_and_expiry_empty_the_groups(world: IdentityWorld) -> None:
    world.reconcile()
    world.body["spec"]["suspended"] = True
    world.reconcile()
    assert world.idp.held() == NOBODY and world.member_policies() == {}
    world.body["spec"]["suspended"] = False
    world.reconcile()
    assert world.idp.held() == EVERYONE
    world.reconcile(now=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert world.idp.held() == NOBODY and world.member_policies() == {}


def test_an_unreadable_spec_empties_the_groups(world: IdentityWorld) -> None:
    world.reconcile()
    world.body["spec"]["expires"] = "2028-01-01T00:00:00"  # no time zone: unreadable
    world.reconcile()
    assert world.idp.held() == NOBODY and world.member_policies() == {}


def test_keycloak_down_never_stops_the_other_systems_removals(world: IdentityWorld) -> None:
    world.reconcile()
    world.idp.fail["group"] = KEYCLOAK_DOWN
    world.body["spec"]["members"] = []
    outcome = world.reconcile()
    assert world.bindings() == {"oidc:alice"}
    assert world.member_policies() == {"owner": ["alice"]}
    identity = condition(outcome, "Identity")
    assert (identity["status"], identity["reason"]) == ("False", "IdentityProviderUnavailable")
    assert condition(outcome, "Degraded")["status"] == "True" and outcome.retry
    del world.idp.fail["group"]
    recovered = world.reconcile()
    assert world.idp.held() == {**NOBODY, "owner": {"alice"}}
    assert condition(recovered, "Identity")["reason"] == "Synchronized"


def test_object_store_down_never_stops_group_removals(world: IdentityWorld) -> None:
    world.reconcile()
    world.store.fail["policy_document"] = DOWN
    world.store.fail["delete_policy"] = DOWN
    world.body["spec"]["members"] = [{"user": "carol", "role": "viewer"}]
    outcome = world.reconcile()
    assert world.idp.held() == {**EVERYONE, "analyst": set()}
    assert condition(outcome, "Storage")["reason"] == "ObjectStoreUnavailable"


def test_an_unknown_member_is_named_and_everyone_else_is_in(world: IdentityWorld) -> None:
    world.body["spec"]["members"].append({"user": "ghost", "role": "analyst"})
    outcome = world.reconcile()
    assert world.idp.held() == EVERYONE
    identity = condition(outcome, "Identity")
    assert (identity["status"], identity["reason"]) == ("False", "UnknownMember")
    assert "ghost" in identity["message"] and "bob" not in identity["message"]
    assert not outcome.retry, "creating the user in Keycloak is enough; the repair finds it"
    world.idp.users.add("ghost")
    world.reconcile()
    assert world.idp.held()["analyst"] == {"bob", "ghost"}


def test_a_group_of_another_workspace_uid_is_never_touched(world: IdentityWorld) -> None:
    world.idp.groups["/havre/cardio"] = {WORKSPACE_UID_ATTRIBUTE: ("someone-else",)}
    world.idp.groups["/havre/cardio/analyst"] = {WORKSPACE_UID_ATTRIBUTE: ("someone-else",)}
    world.idp.members_of["/havre/cardio/analyst"] = {"dan"}
    outcome = world.reconcile()
    assert world.idp.members_of["/havre/cardio/analyst"] == {"dan"}
    assert [m for m, _ in world.idp.calls if m in WRITES] == []
    assert condition(outcome, "Identity")["reason"] == "IdentityGroupConflict"
    assert world.bindings() == {"oidc:alice", "oidc:bob", "oidc:carol"}, "the rest goes on"
    assert teardown_identity(world.idp, "havre", "cardio", UID) == []
    assert "/havre/cardio" in world.idp.groups


def test_deletion_takes_the_groups_of_this_uid_only(world: IdentityWorld) -> None:
    world.reconcile()
    assert teardown_identity(world.idp, "havre", "cardio", "another-uid") == []
    assert teardown_identity(world.idp, "havre", "cardio", UID) == ["-group//havre/cardio"]
    assert not [p for p in world.idp.groups if p.startswith("/havre/cardio")]
