"""MinIO trusts the stack's Keycloak realm for STS (``AssumeRoleWithWebIdentity``).

A researcher's token from the realm's ``minio`` client lists, in its ``storage_policies``
claim, the object-store policies of their role groups; MinIO issues temporary credentials
bound to those policies (kept by the operator, see operator/havre/pipeline/render/
member_storage.py). Credentials live at most ``STS_DURATION`` (``MINIO_STS_DURATION`` also
caps what a client asks with ``DurationSeconds``).

MinIO reads its OpenID configuration once, at start, and its IAM waits until the realm's
discovery document answers: the provider is configured only when Keycloak runs, so a
stack without Keycloak keeps a working MinIO. ``openid.json`` in MinIO's directory records
what the running server was started with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devstack.components import keycloak
from devstack.paths import StackPaths
from devstack.process import pid_of
from devstack.tls import StackCA

#: Longest life of a member's temporary S3 credentials.
STS_DURATION = "1h"
RECORD = "openid.json"


def openid_environment(paths: StackPaths) -> dict[str, str]:
    """MinIO's OpenID settings for this stack, or {} when its Keycloak does not run."""
    if pid_of(keycloak.Keycloak.name, paths.state) is None:
        return {}
    ca = StackCA(paths.state)
    ca.ensure()
    issuer = f"https://localhost:{paths.port(keycloak.HTTPS_PORT)}/realms/{keycloak.REALM}"
    return {
        "MINIO_IDENTITY_OPENID_CONFIG_URL": f"{issuer}/.well-known/openid-configuration",
        "MINIO_IDENTITY_OPENID_CLIENT_ID": keycloak.STORAGE_CLIENT,
        "MINIO_IDENTITY_OPENID_CLAIM_NAME": keycloak.STORAGE_CLAIM,
        "MINIO_IDENTITY_OPENID_DISPLAY_NAME": "Havre",
        "MINIO_STS_DURATION": STS_DURATION,
        # Go reads its trust store from here: the stack CA signs Keycloak's certificate.
        "SSL_CERT_FILE": str(ca.cert_path),
    }


def record(directory: Path, env: dict[str, str]) -> None:
    """Remember whether (and how) the server being started trusts the realm."""
    keys = ("MINIO_IDENTITY_OPENID_CONFIG_URL", "MINIO_IDENTITY_OPENID_CLIENT_ID")
    data = {k: env[k] for k in keys if k in env}
    (directory / RECORD).write_text(json.dumps(data, sort_keys=True) + "\n")


def recorded(directory: Path) -> dict[str, Any]:
    """What the running server was started with ({}: no OpenID provider)."""
    try:
        data: dict[str, Any] = json.loads((directory / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return data


def info(directory: Path) -> dict[str, Any]:
    """stack.json entries: whether STS works, the client and claim it expects."""
    data = recorded(directory)
    return {
        "openid": bool(data),
        "sts_client_id": data.get("MINIO_IDENTITY_OPENID_CLIENT_ID"),
        "sts_duration": STS_DURATION if data else None,
    }
