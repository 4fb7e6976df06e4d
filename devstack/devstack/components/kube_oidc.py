"""People sign in to the local API server with their Keycloak token (kubectl by OIDC).

The API server reads a structured ``AuthenticationConfiguration``
(``apiserver.config.k8s.io/v1``, ``--authentication-config``, GA in 1.34) trusting the
stack's Keycloak realm over HTTPS with the stack CA. Usernames and groups get the prefix
the operator's RoleBindings use (``username_prefix``, default ``oidc:``), so no token can
claim a ``system:`` identity or collide with a certificate user.

The issuer is written whether Keycloak runs or not: the API server keeps retrying the
discovery document and accepts tokens once the realm answers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from devstack.components import keycloak
from devstack.paths import StackPaths
from devstack.tls import StackCA

#: The audience a token must carry: the realm's ``kubernetes`` client adds it.
AUDIENCE = "kubernetes"
#: The operator's default ``username_prefix``; groups get it too.
PREFIX = "oidc:"


def authentication_config(issuer: str, ca_pem: str) -> dict[str, Any]:
    """One JWT authenticator: ``preferred_username`` and the full-path ``groups`` claim."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AuthenticationConfiguration",
        "jwt": [
            {
                "issuer": {
                    "url": issuer,
                    "audiences": [AUDIENCE],
                    "audienceMatchPolicy": "MatchAny",
                    "certificateAuthority": ca_pem,
                },
                "claimMappings": {
                    "username": {"claim": "preferred_username", "prefix": PREFIX},
                    "groups": {"claim": "groups", "prefix": PREFIX},
                },
            }
        ],
    }


def write_authentication_config(paths: StackPaths, target: Path) -> Path:
    """Write the stack's configuration to ``target`` (0600) and return it."""
    ca = StackCA(paths.state)
    ca.ensure()
    port = paths.port(keycloak.HTTPS_PORT)
    issuer = f"https://localhost:{port}/realms/{keycloak.REALM}"
    text = yaml.safe_dump(authentication_config(issuer, ca.cert_path.read_text()))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return target
