"""The Keycloak realm a Havre platform needs, as data: realm settings, clients and mappers.

Pure: ``havre realm setup`` (``keycloak_realm.py``) compares this with the server and writes
only the differences. One client per service that receives people's tokens, so a token
given to one (a workspace's Trino) cannot be replayed to another (the API server):

| client | kind | token audience | extra claims |
|---|---|---|---|
| ``trino`` | public | ``trino`` | |
| ``kubernetes`` | public | ``kubernetes`` | ``groups`` (full paths) |
| ``minio`` | public | ``minio`` | ``groups``, ``storage_policies`` |
| ``havre-operator`` | confidential, service account | | |
| ``prometheus`` | confidential, service account | ``trino`` | |

Public clients offer the device authorization grant (CLIs, no browser redirect to
host) and the authorization code flow with PKCE (kubelogin's ``http://localhost:8000``
callbacks); the resource-owner password grant only when asked (test platforms).
The operator's service account holds ``manage-users`` (groups and memberships),
``view-users``, ``query-users`` and ``query-groups`` of ``realm-management``: nothing else.
The metrics scraper's client (``prometheus``) has only the client-credentials grant; its
tokens (user ``service-account-prometheus``) carry the ``trino`` audience and no role: each
workspace Trino lets that user read system information (``/metrics``) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from havre.pipeline.render.identity import STORAGE_POLICY_ATTRIBUTE

OPERATOR_ROLES = ("manage-users", "query-groups", "query-users", "view-users")
#: Where kubelogin (kubectl oidc-login) listens for the authorization code by default.
DEFAULT_REDIRECTS = ("http://localhost:8000", "http://localhost:18000")


@dataclass(frozen=True)
class RealmOptions:
    """What an administrator chooses; the defaults are what the operator expects."""

    realm: str = "havre"
    display_name: str = "Havre"
    #: Seconds an access token lives: the longest a removed member keeps a token.
    token_lifespan: int = 300
    trino_client: str = "trino"
    kube_client: str = "kubernetes"
    storage_client: str = "minio"
    operator_client: str = "havre-operator"
    #: The metrics scraper's client (client credentials); its tokens are for Trino.
    metrics_client: str = "prometheus"
    #: Claim listing the object-store policies of the user's role groups (MinIO claim_name).
    storage_claim: str = "storage_policies"
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECTS
    #: Resource-owner password grant on the public clients: test platforms only.
    password_grant: bool = False


def render_realm(options: RealmOptions) -> dict[str, Any]:
    """The realm settings Havre manages (others are left as the administrator set them)."""
    return {
        "realm": options.realm,
        "displayName": options.display_name,
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "editUsernameAllowed": False,
        "bruteForceProtected": True,
        "accessTokenLifespan": options.token_lifespan,
    }


def audience_mapper(audience: str) -> dict[str, Any]:
    """Puts ``audience`` in the access token's ``aud`` (Keycloak leaves the client out)."""
    return {
        "name": f"audience-{audience}",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.client.audience": audience,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


def groups_mapper() -> dict[str, Any]:
    """``groups``: full paths (``/havre/cardio/analyst``); short names collide."""
    return {
        "name": "groups",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-group-membership-mapper",
        "config": {
            "claim.name": "groups",
            "full.path": "true",
            "access.token.claim": "true",
            "id.token.claim": "false",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
        },
    }


def storage_policies_mapper(claim: str) -> dict[str, Any]:
    """The ``havre.io/storage-policy`` attribute of every group of the user, as a list."""
    return {
        "name": "storage-policies",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-attribute-mapper",
        "config": {
            "user.attribute": STORAGE_POLICY_ATTRIBUTE,
            "claim.name": claim,
            "jsonType.label": "String",
            "multivalued": "true",
            # Collect the values of the user's groups (and their parents), not only the user's.
            "aggregate.attrs": "true",
            "access.token.claim": "true",
            "id.token.claim": "false",
            "userinfo.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


def _public_client(
    client_id: str, name: str, options: RealmOptions, mappers: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "name": name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": options.password_grant,
        "serviceAccountsEnabled": False,
        "redirectUris": list(options.redirect_uris),
        # Tokens carry no realm or client roles: Havre authorises by username and groups.
        "fullScopeAllowed": False,
        "attributes": {
            "oauth2.device.authorization.grant.enabled": "true",
            "pkce.code.challenge.method": "S256",
        },
        "protocolMappers": [audience_mapper(client_id), *mappers],
    }


def service_account_client(
    client_id: str, name: str, mappers: list[dict[str, Any]], full_scope: bool
) -> dict[str, Any]:
    """A confidential client that only signs in as itself (client-credentials grant)."""
    return {
        "clientId": client_id,
        "name": name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
        "fullScopeAllowed": full_scope,
        "protocolMappers": mappers,
    }


def render_clients(options: RealmOptions) -> list[dict[str, Any]]:
    """Every client Havre needs, with its protocol mappers."""
    return [
        _public_client(options.trino_client, "Trino (workspace query engines)", options, []),
        _public_client(options.kube_client, "Kubernetes API (kubectl)", options, [groups_mapper()]),
        _public_client(
            options.storage_client,
            "Object storage (STS AssumeRoleWithWebIdentity)",
            options,
            [groups_mapper(), storage_policies_mapper(options.storage_claim)],
        ),
        service_account_client(options.operator_client, "Havre operator", [], full_scope=True),
        # Tokens for the workspaces' Trino only, and without roles.
        service_account_client(
            options.metrics_client,
            "Metrics scraper (workspace Trino /metrics)",
            [audience_mapper(options.trino_client)],
            full_scope=False,
        ),
    ]
