"""Platform services the workspaces reach: address block and port, for egress rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Endpoint(BaseModel):
    """A platform service the workspaces reach (egress is allowed to it, and only it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cidr: str = Field(description="Address block of the service, e.g. 10.0.12.0/24.")
    port: int = Field(ge=1, le=65535)

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        ipaddress.ip_network(value, strict=False)
        return value


#: Root settings that are endpoints, each written ``CIDR:PORT`` in its variable.
ENDPOINT_ENV = {
    "HAVRE_AUDIT_RECEIVER": "audit_receiver",
    "HAVRE_OBJECT_STORE": "object_store",
    "HAVRE_CATALOG_DATABASE": "catalog_database",
    "HAVRE_IDENTITY_PROVIDER": "identity_provider",
}


def _endpoint(text: str) -> dict[str, Any]:
    cidr, _, port = text.rpartition(":")
    return {"cidr": cidr, "port": port}


def endpoints_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The endpoints set by ``HAVRE_*`` variables, e.g. ``10.0.3.0/24:9000``, by field name."""
    return {field: _endpoint(env[var]) for var, field in ENDPOINT_ENV.items() if var in env}
