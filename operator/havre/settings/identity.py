"""Workspace groups in the identity provider (Keycloak): ``HAVRE_IDENTITY_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from havre.settings.environment import section


class IdentitySettings(BaseModel):
    """How the operator keeps each workspace's groups in the identity provider (Keycloak).

    The operator signs in as a confidential client with a service account (the realm's
    ``havre-operator`` client made by ``havre realm setup``), never as a realm admin, and
    only over verified HTTPS.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        description="Keycloak base URL (HTTPS), e.g. https://id.example; realms live under it.",
        pattern=r"^https://[^/\s]+(/[^\s]*)?$",
    )
    realm: str = Field(default="havre", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    client_id: str = Field(default="havre-operator", min_length=1, max_length=255)
    client_secret: SecretStr = Field(description="The client's secret (never logged).")
    ca_file: str | None = Field(
        default=None, description="PEM CA bundle that signs Keycloak's certificate."
    )
    group_root: str = Field(
        default="havre",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$",
        description="Top-level group under which each workspace gets /<root>/<ws>/<role>.",
    )
    resync_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long a workspace's groups, once in sync, are trusted before Keycloak "
        "is read again to repair drift; a change of members is applied at once.",
    )
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per request.")


IDENTITY_ENV = {
    "HAVRE_IDENTITY_URL": "url",
    "HAVRE_IDENTITY_REALM": "realm",
    "HAVRE_IDENTITY_CLIENT_ID": "client_id",
    "HAVRE_IDENTITY_CLIENT_SECRET": "client_secret",
    "HAVRE_IDENTITY_CA_FILE": "ca_file",
    "HAVRE_IDENTITY_GROUP_ROOT": "group_root",
    "HAVRE_IDENTITY_RESYNC_SECONDS": "resync_seconds",
}


def identity_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``identity`` fields set by ``HAVRE_IDENTITY_*`` variables."""
    return section(env, IDENTITY_ENV)
