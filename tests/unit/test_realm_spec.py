"""The realm Havre asks for: one audience per service, groups as full paths, the storage
policies claim, no password grant unless asked, a least-privileged operator client."""

from __future__ import annotations

from typing import Any

from havre.external.realm_spec import (
    OPERATOR_ROLES,
    RealmOptions,
    render_clients,
    render_realm,
)


def _clients(options: RealmOptions | None = None) -> dict[str, dict[str, Any]]:
    return {c["clientId"]: c for c in render_clients(options or RealmOptions())}


def _mappers(client: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [m for m in client["protocolMappers"] if m["protocolMapper"] == kind]


def test_each_public_client_puts_only_its_own_audience_in_tokens() -> None:
    for name in ("trino", "kubernetes", "minio"):
        client = _clients()[name]
        assert client["publicClient"] and not client["serviceAccountsEnabled"]
        audiences = [
            m["config"]["included.client.audience"]
            for m in _mappers(client, "oidc-audience-mapper")
        ]
        assert audiences == [name]


def test_groups_are_full_paths_and_storage_policies_aggregate_group_attributes() -> None:
    clients = _clients()
    (groups,) = _mappers(clients["kubernetes"], "oidc-group-membership-mapper")
    assert groups["config"]["full.path"] == "true" and groups["config"]["claim.name"] == "groups"
    (policies,) = _mappers(clients["minio"], "oidc-usermodel-attribute-mapper")
    assert policies["config"]["user.attribute"] == "havre.io/storage-policy"
    assert policies["config"]["claim.name"] == "storage_policies"
    assert policies["config"]["aggregate.attrs"] == "true"
    assert policies["config"]["multivalued"] == "true"
    assert not _mappers(clients["trino"], "oidc-group-membership-mapper")


def test_password_grant_only_when_asked() -> None:
    assert not any(c["directAccessGrantsEnabled"] for c in _clients().values())
    allowed = _clients(RealmOptions(password_grant=True))
    assert all(allowed[n]["directAccessGrantsEnabled"] for n in ("trino", "kubernetes", "minio"))
    assert not allowed["havre-operator"]["directAccessGrantsEnabled"]


def test_operator_client_is_a_service_account_that_manages_users_and_groups_only() -> None:
    operator = _clients()["havre-operator"]
    assert operator["serviceAccountsEnabled"] and not operator["publicClient"]
    assert not operator["standardFlowEnabled"]
    assert set(OPERATOR_ROLES) == {"manage-users", "view-users", "query-users", "query-groups"}


def test_realm_refuses_self_registration_and_username_edits() -> None:
    realm = render_realm(RealmOptions(token_lifespan=300))
    assert realm["registrationAllowed"] is False and realm["editUsernameAllowed"] is False
    assert realm["accessTokenLifespan"] == 300 and realm["sslRequired"] == "external"
