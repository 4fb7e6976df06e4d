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

    @field_validator("address")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value


METRICS_ENV = {
    "HAVRE_METRICS_ENABLED": "enabled",
    "HAVRE_METRICS_ADDRESS": "address",
    "HAVRE_METRICS_PORT": "port",
    "HAVRE_METRICS_USAGE_INTERVAL": "usage_interval",
}


def metrics_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``metrics`` fields set by ``HAVRE_METRICS_*`` variables."""
    return section(env, METRICS_ENV)
