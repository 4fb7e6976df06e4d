"""Object store administration (MinIO admin API and S3 API): ``HAVRE_STORAGE_*``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from havre.settings.environment import section


class StorageSettings(BaseModel):
    """How the operator administers the object store (MinIO admin API and S3 API)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        description="Base URL, e.g. https://minio.platform.svc:9000.",
        pattern=r"^https?://[^/\s]+/?$",
    )
    access_key: str = Field(min_length=3, description="Administrator's access key.")
    secret_key: SecretStr = Field(description="Administrator's secret key (never logged).")
    ca_file: str | None = Field(default=None, description="CA bundle for an https URL.")

    @property
    def endpoint(self) -> str:
        """host:port, as S3 clients take it."""
        return self.url.split("://", 1)[1].rstrip("/")

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")


STORAGE_ENV = {
    "HAVRE_STORAGE_URL": "url",
    "HAVRE_STORAGE_ACCESS_KEY": "access_key",
    "HAVRE_STORAGE_SECRET_KEY": "secret_key",
    "HAVRE_STORAGE_CA_FILE": "ca_file",
}


def storage_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``storage`` fields set by ``HAVRE_STORAGE_*`` variables."""
    return section(env, STORAGE_ENV)
