"""The real Keycloak of the devstack issues tokens for Trino and lets the operator manage groups."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from keycloak import KeycloakAdmin, KeycloakError, KeycloakGetError

from devstack.keycloak_clients import operator_admin as admin_client
from devstack.keycloak_clients import trino_openid
from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def keycloak(platform: Platform) -> dict[str, Any]:
    return platform("keycloak")


@pytest.fixture
def operator_admin(keycloak: dict[str, Any]) -> KeycloakAdmin:
    return admin_client(keycloak)


@pytest.fixture
def scratch_group(operator_admin: KeycloakAdmin) -> Iterator[str]:
    name = f"ws-test-{secrets.token_hex(4)}"
    group_id = operator_admin.create_group({"name": name})
    assert group_id is not None
    yield group_id
    operator_admin.delete_group(group_id)


def test_user_token_names_the_user_and_is_meant_for_trino(keycloak: dict[str, Any]) -> None:
    openid = trino_openid(keycloak)
    token = openid.token("alice", keycloak["users"]["alice"])
    # decode_token checks the signature against the realm's published JWKS.
    claims = openid.decode_token(token["access_token"])
    assert claims["preferred_username"] == "alice"
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert "trino" in audience
    assert claims["iss"] == keycloak["issuer"]


def test_discovery_publishes_the_issuer_and_jwks_in_stack_info(keycloak: dict[str, Any]) -> None:
    document = trino_openid(keycloak).well_known()
    assert document["issuer"] == keycloak["issuer"]
    assert document["jwks_uri"] == keycloak["jwks_uri"]


def test_wrong_password_gets_no_token(keycloak: dict[str, Any]) -> None:
    with pytest.raises(KeycloakError) as failure:
        trino_openid(keycloak).token("bob", keycloak["users"]["bob"] + "-wrong")
    # OAuth 2.0 answers a bad resource-owner password with 400 invalid_grant.
    assert failure.value.response_code == 400
    assert b"invalid_grant" in (failure.value.response_body or b"")


def test_operator_client_adds_a_user_to_a_new_group(
    operator_admin: KeycloakAdmin, scratch_group: str
) -> None:
    carol = operator_admin.get_user_id("carol")
    assert carol is not None
    operator_admin.group_user_add(carol, scratch_group)
    members = operator_admin.get_group_members(scratch_group)
    assert [m["username"] for m in members] == ["carol"]
    assert scratch_group in [g["id"] for g in operator_admin.get_user_groups(carol)]


def test_operator_client_cannot_administer_other_realms(keycloak: dict[str, Any]) -> None:
    master = KeycloakAdmin(
        server_url=keycloak["url"],
        realm_name="master",
        user_realm_name=keycloak["realm"],
        client_id=keycloak["operator_client_id"],
        client_secret_key=keycloak["operator_client_secret"],
        verify=keycloak["ca"],
        timeout=10,
    )
    with pytest.raises(KeycloakGetError) as refused:
        master.get_users()
    assert refused.value.response_code == 403
