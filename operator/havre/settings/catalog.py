"""Administration of the catalogs' PostgreSQL server: ``HAVRE_CATALOG_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from havre.settings.environment import section


class CatalogSettings(BaseModel):
    """How the operator administers the PostgreSQL server of the Iceberg catalogs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1, description="PostgreSQL host, as the operator reaches it.")
    port: int = Field(default=5432, ge=1, le=65535)
    user: str = Field(min_length=1, description="Admin role (CREATEDB, CREATEROLE).")
    password: SecretStr = Field(description="Admin password (never logged).")
    sslmode: str = Field(
        default="verify-full",
        pattern=r"^(disable|allow|prefer|require|verify-ca|verify-full)$",
        description="libpq sslmode; the admin password travels only to a verified server "
        "unless this is lowered.",
    )
    ca_file: str | None = Field(
        default=None, description="CA for verify-ca/verify-full (default ~/.postgresql/root.crt)."
    )


CATALOG_ENV = {
    "HAVRE_CATALOG_HOST": "host",
    "HAVRE_CATALOG_PORT": "port",
    "HAVRE_CATALOG_USER": "user",
    "HAVRE_CATALOG_PASSWORD": "password",
    "HAVRE_CATALOG_SSLMODE": "sslmode",
    "HAVRE_CATALOG_CA_FILE": "ca_file",
}


def catalog_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``catalog`` fields set by ``HAVRE_CATALOG_*`` variables."""
    return section(env, CATALOG_ENV)
