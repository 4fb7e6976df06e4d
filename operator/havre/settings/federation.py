"""This operator's part in a federated platform (docs/federation.md): ``HAVRE_FEDERATION_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from havre.settings.environment import section


class FederationSettings(BaseModel):
    """Federation (docs/federation.md): this operator's part in a federated platform."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["hub", "member"] = Field(
        default="member",
        description="hub: run on the Karmada hub, placing workspaces on members; member: "
        "run on a member cluster (the ordinary reconcile).",
    )
    provider: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        description="A member's provider (its havre.io/provider label on the hub).",
    )
    resync_interval: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between the hub's periodic checks of every object (events drive "
        "it otherwise).",
    )
    webhook_port: int | None = Field(
        default=None, ge=1, le=65535, description="Hub: port of the grant admission webhook."
    )
    webhook_host: str = Field(
        default="127.0.0.1", description="Hub: address the webhook listens on and is called at."
    )
    webhook_cert_file: str | None = Field(default=None, description="Hub: webhook certificate.")
    webhook_key_file: str | None = Field(default=None, description="Hub: its private key.")
    webhook_ca_file: str | None = Field(default=None, description="Hub: CA the API server trusts.")


FEDERATION_ENV = {
    "HAVRE_FEDERATION_ROLE": "role",
    "HAVRE_FEDERATION_PROVIDER": "provider",
    "HAVRE_FEDERATION_RESYNC_INTERVAL": "resync_interval",
    "HAVRE_FEDERATION_WEBHOOK_PORT": "webhook_port",
    "HAVRE_FEDERATION_WEBHOOK_HOST": "webhook_host",
    "HAVRE_FEDERATION_WEBHOOK_CERT_FILE": "webhook_cert_file",
    "HAVRE_FEDERATION_WEBHOOK_KEY_FILE": "webhook_key_file",
    "HAVRE_FEDERATION_WEBHOOK_CA_FILE": "webhook_ca_file",
}


def federation_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``federation`` fields set by ``HAVRE_FEDERATION_*`` variables."""
    return section(env, FEDERATION_ENV)
