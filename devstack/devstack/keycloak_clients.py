"""python-keycloak clients for the stack's Keycloak, from its stack.json entry."""

from __future__ import annotations

from typing import Any

from keycloak import KeycloakAdmin, KeycloakOpenID


def trino_openid(keycloak: dict[str, Any]) -> KeycloakOpenID:
    """The public client ``trino`` of the realm, whose tokens Trino accepts."""
    return KeycloakOpenID(
        server_url=keycloak["url"],
        realm_name=keycloak["realm"],
        client_id=keycloak["trino_client_id"],
        verify=keycloak["ca"],
        timeout=10,
    )


def operator_admin(keycloak: dict[str, Any]) -> KeycloakAdmin:
    """The operator's view of Keycloak: its own service client, not the admin password."""
    return KeycloakAdmin(
        server_url=keycloak["url"],
        realm_name=keycloak["realm"],
        client_id=keycloak["operator_client_id"],
        client_secret_key=keycloak["operator_client_secret"],
        verify=keycloak["ca"],
        timeout=10,
    )
