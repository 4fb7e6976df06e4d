"""Routes from outside the cluster to each workspace's Trino: ``HAVRE_ACCESS_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from havre.settings.environment import section


class AccessSettings(BaseModel):
    """How researchers outside the cluster reach their workspace's Trino: a route per
    workspace with TLS passed through to Trino (which holds the certificate), or nothing
    (``kubectl port-forward`` only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: Literal["none", "tlsroute", "ingress"] = Field(
        default="none",
        description="none; tlsroute (Gateway API TLSRoute, passthrough); ingress (an "
        "Ingress whose controller passes TLS through, e.g. through its annotations).",
    )
    hostname: str | None = Field(
        default=None,
        pattern=r"^(?:[a-z0-9-]|\{workspace\})+(?:\.(?:[a-z0-9-]|\{workspace\})+)+$",
        description="Host name of a workspace's Trino, {workspace} replaced, e.g. "
        "{workspace}.trino.havre.example; also put into its certificate.",
    )
    gateway: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+/[a-z0-9.-]+$",
        description="namespace/name of the Gateway a TLSRoute attaches to.",
    )
    gateway_listener: str | None = Field(
        default=None, description="The Gateway listener (sectionName) for TLS passthrough."
    )
    ingress_class: str | None = Field(default=None, description="ingressClassName.")
    ingress_annotations: dict[str, str] = Field(
        default_factory=dict,
        description="Annotations of each Ingress, e.g. the controller's TLS-passthrough one.",
    )

    @model_validator(mode="after")
    def _complete(self) -> AccessSettings:
        if self.route != "none" and self.hostname is None:
            raise ValueError(f"route {self.route} needs a hostname")
        if self.hostname is not None and "{workspace}" not in self.hostname:
            raise ValueError("hostname must contain {workspace}: each workspace has its own")
        if self.route == "tlsroute" and self.gateway is None:
            raise ValueError("route tlsroute needs gateway (namespace/name)")
        return self

    def host(self, workspace: str) -> str | None:
        """The workspace's host name, or None without a route."""
        if self.route == "none" or self.hostname is None:
            return None
        return self.hostname.replace("{workspace}", workspace)


# ingress_annotations (a mapping) has no variable: the HAVRE_CONFIG file sets it.
ACCESS_ENV = {
    "HAVRE_ACCESS_ROUTE": "route",
    "HAVRE_ACCESS_HOSTNAME": "hostname",
    "HAVRE_ACCESS_GATEWAY": "gateway",
    "HAVRE_ACCESS_GATEWAY_LISTENER": "gateway_listener",
    "HAVRE_ACCESS_INGRESS_CLASS": "ingress_class",
}


def access_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``access`` fields set by ``HAVRE_ACCESS_*`` variables."""
    return section(env, ACCESS_ENV)
