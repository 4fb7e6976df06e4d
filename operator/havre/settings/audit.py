"""The audit trail's receiver, key and retention (docs/audit.md): ``HAVRE_AUDIT_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from havre.settings.environment import section


class AuditSettings(BaseModel):
    """The audit trail (docs/audit.md): where workspaces' Trino and the operator send
    records, and the key their credentials are derived from. The receiver
    (``python -m havre.audit``) reads the same settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    receiver_url: str = Field(
        description="Base URL of the audit receiver as Trino pods reach it, e.g. "
        "https://havre-audit.havre-system.svc:8443.",
        pattern=r"^https://[^/\s]+/?$",
    )
    operator_url: str | None = Field(
        default=None,
        pattern=r"^https://[^/\s]+/?$",
        description="Base URL of the receiver as the operator reaches it (default receiver_url).",
    )
    key: SecretStr = Field(
        min_length=32,
        description="Receiver key: each workspace's credential is an HMAC of its UID under it.",
    )
    ca_file: str | None = Field(
        default=None, description="CA the operator verifies the receiver's certificate with."
    )
    bucket: str = Field(
        default="havre-audit",
        pattern=r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){2,62}$",
        description="Object-lock bucket on the platform object store holding the trail.",
    )
    retention_days: int = Field(
        default=1096, ge=1, le=36600, description="Compliance-mode retention of each batch."
    )
    buffer_limit: int = Field(
        default=10000,
        ge=10,
        le=1_000_000,
        description="Decisions the operator keeps while "
        "the receiver is unreachable; beyond it the oldest are dropped (metric and Warning).",
    )
    listener_retry_count: int = Field(
        default=360, ge=0, le=100000, description="Trino's retries of one event."
    )
    listener_max_delay_seconds: int = Field(
        default=10, ge=1, le=3600, description="Longest wait between two retries."
    )

    listen: str = Field(
        default="0.0.0.0:8443",
        pattern=r"^[^\s:]+:\d{1,5}$",
        description="Receiver only: host:port it serves HTTPS on.",
    )
    tls_cert_file: str | None = Field(default=None, description="Receiver only: certificate.")
    tls_key_file: str | None = Field(default=None, description="Receiver only: its key.")
    metrics_port: int = Field(
        default=9102, ge=0, le=65535, description="Receiver only: Prometheus port (0: none)."
    )

    @property
    def operator_base(self) -> str:
        return (self.operator_url or self.receiver_url).rstrip("/")


# HAVRE_AUDIT_RECEIVER (an endpoint, CIDR:PORT) and HAVRE_AUDIT_INTERVAL (a root setting)
# are not this section's: see endpoint.py and root.py.
AUDIT_ENV = {
    "HAVRE_AUDIT_RECEIVER_URL": "receiver_url",
    "HAVRE_AUDIT_OPERATOR_URL": "operator_url",
    "HAVRE_AUDIT_KEY": "key",
    "HAVRE_AUDIT_CA_FILE": "ca_file",
    "HAVRE_AUDIT_BUCKET": "bucket",
    "HAVRE_AUDIT_RETENTION_DAYS": "retention_days",
    "HAVRE_AUDIT_BUFFER_LIMIT": "buffer_limit",
    "HAVRE_AUDIT_LISTENER_RETRY_COUNT": "listener_retry_count",
    "HAVRE_AUDIT_LISTENER_MAX_DELAY_SECONDS": "listener_max_delay_seconds",
    "HAVRE_AUDIT_LISTEN": "listen",
    "HAVRE_AUDIT_TLS_CERT_FILE": "tls_cert_file",
    "HAVRE_AUDIT_TLS_KEY_FILE": "tls_key_file",
    "HAVRE_AUDIT_METRICS_PORT": "metrics_port",
}


def audit_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``audit`` fields set by ``HAVRE_AUDIT_*`` variables."""
    return section(env, AUDIT_ENV)
