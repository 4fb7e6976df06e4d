"""Each workspace's Trino (identity, image, TLS, platform as pods see it): ``HAVRE_TRINO_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from havre.settings.environment import section


class TrinoSettings(BaseModel):
    """How each workspace's Trino is configured; needs ``storage`` and ``catalog`` too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity_issuer: str = Field(description="Token issuer, e.g. https://id.example/realms/havre.")
    identity_jwks_url: str = Field(description="The issuer's JWKS URL.")
    audience: str = Field(default="trino", description="The aud a token must carry.")
    image: str = Field(default="trinodb/trino:476")
    ca_bundle_file: str | None = Field(
        default=None, description="PEM CAs Trino trusts for the identity provider (a file)."
    )
    object_store_url: str | None = Field(
        default=None, description="S3 URL as Trino pods reach it (default: storage.url)."
    )
    catalog_host: str | None = Field(
        default=None, description="PostgreSQL as Trino pods reach it (default: catalog.host)."
    )
    catalog_port: int | None = Field(default=None, ge=1, le=65535)
    catalog_sslmode: str = Field(
        default="verify-full",
        pattern=r"^(disable|allow|prefer|require|verify-ca|verify-full)$",
        description="sslmode of Trino's JDBC connections to the catalog database; verified "
        "against ca_bundle_file when set, else the JVM's CAs.",
    )
    tls_ca_secret: str = Field(
        default="havre-system/havre-platform-ca",
        pattern=r"^[a-z0-9-]+/[a-z0-9.-]+$",
        description="namespace/name of the CA Secret (tls.crt, tls.key) that signs the "
        "workspaces' Trino certificates.",
    )
    cert_manager_issuer: str | None = Field(
        default=None,
        pattern=r"^(Issuer|ClusterIssuer)/[a-z0-9.-]+$",
        description="Kind/name of a cert-manager issuer: when set, each workspace gets a "
        "cert-manager Certificate instead of a certificate from tls_ca_secret.",
    )
    extra_dns_names: tuple[str, ...] = Field(
        default=(),
        description="More names for each certificate; {workspace} is replaced, e.g. "
        "{workspace}.trino.havre.example.",
    )


TRINO_ENV = {
    "HAVRE_TRINO_ISSUER": "identity_issuer",
    "HAVRE_TRINO_JWKS_URL": "identity_jwks_url",
    "HAVRE_TRINO_AUDIENCE": "audience",
    "HAVRE_TRINO_IMAGE": "image",
    "HAVRE_TRINO_CA_BUNDLE_FILE": "ca_bundle_file",
    "HAVRE_TRINO_OBJECT_STORE_URL": "object_store_url",
    "HAVRE_TRINO_CATALOG_HOST": "catalog_host",
    "HAVRE_TRINO_CATALOG_PORT": "catalog_port",
    "HAVRE_TRINO_CATALOG_SSLMODE": "catalog_sslmode",
    "HAVRE_TRINO_TLS_CA_SECRET": "tls_ca_secret",
    "HAVRE_TRINO_CERT_MANAGER_ISSUER": "cert_manager_issuer",
}
#: Comma-separated; empty items are dropped.
TRINO_EXTRA_DNS_NAMES_ENV = "HAVRE_TRINO_EXTRA_DNS_NAMES"


def trino_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``trino`` fields set by ``HAVRE_TRINO_*`` variables."""
    trino = section(env, TRINO_ENV)
    if TRINO_EXTRA_DNS_NAMES_ENV in env:
        trino["extra_dns_names"] = [n for n in env[TRINO_EXTRA_DNS_NAMES_ENV].split(",") if n]
    return trino
