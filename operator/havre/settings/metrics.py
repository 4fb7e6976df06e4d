"""The operator's Prometheus endpoint: ``HAVRE_METRICS_*``."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from havre.settings.environment import section


class MetricsSettings(BaseModel):
    """The operator's Prometheus endpoint (``/metrics``), beside the ``--liveness`` one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Serve /metrics at all.")
    address: str = Field(
        default="0.0.0.0",  # noqa: S104 - in a pod, Prometheus scrapes the pod's address
        description="Listen address; 127.0.0.1 when only a local Prometheus scrapes.",
    )
    port: int = Field(default=8081, ge=1, le=65535, description="Listen port of /metrics.")
    usage_interval: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between two reads of bucket usage from the object store "
        "(one admin call for all buckets; the store itself updates it about once a minute).",
    )

    trino_scraper_user: str = Field(
        default="service-account-prometheus",
        pattern=r"^[a-z0-9][a-z0-9._@-]{0,127}$",
        description="The Trino user (the token's preferred_username) allowed to read each "
        "workspace Trino's /metrics (system information) and nothing else: the identity "
        "provider's name for the scraper's service account.",
    )
    trino_scraper_namespace: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        description="Namespace of the in-cluster Prometheus: its pods may reach each "
        "coordinator's HTTPS port (and no other). None: no namespace is admitted.",
    )
    trino_scraper_cidr: str | None = Field(
        default=None,
        description="Address block a Prometheus outside the cluster scrapes from (e.g. the "
        "local platform's node link address, /32). None: no address block is admitted.",
    )

    @field_validator("address")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value

    @field_validator("trino_scraper_namespace", "trino_scraper_cidr", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # An empty value (HAVRE_METRICS_TRINO_SCRAPER_CIDR="") admits nobody, like no value.
        return None if value == "" else value

    @field_validator("trino_scraper_cidr")
    @classmethod
    def _valid_scraper_cidr(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_network(value, strict=False)
        return value


METRICS_ENV = {
    "HAVRE_METRICS_ENABLED": "enabled",
    "HAVRE_METRICS_ADDRESS": "address",
    "HAVRE_METRICS_PORT": "port",
    "HAVRE_METRICS_USAGE_INTERVAL": "usage_interval",
    "HAVRE_METRICS_TRINO_SCRAPER_USER": "trino_scraper_user",
    "HAVRE_METRICS_TRINO_SCRAPER_NAMESPACE": "trino_scraper_namespace",
    "HAVRE_METRICS_TRINO_SCRAPER_CIDR": "trino_scraper_cidr",
}


def metrics_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``metrics`` fields set by ``HAVRE_METRICS_*`` variables."""
    return section(env, METRICS_ENV)
