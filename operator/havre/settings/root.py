"""The root ``Settings``: every area's settings, plus the operator's own scalar ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from havre.settings.access import AccessSettings
from havre.settings.audit import AuditSettings
from havre.settings.catalog import CatalogSettings
from havre.settings.endpoint import Endpoint
from havre.settings.environment import section
from havre.settings.federation import FederationSettings
from havre.settings.identity import IdentitySettings
from havre.settings.metrics import MetricsSettings
from havre.settings.storage import StorageSettings
from havre.settings.trino import TrinoSettings


class Settings(BaseModel):
    """Everything the operator needs to know about the platform it runs on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object_store: Endpoint | None = Field(default=None, description="MinIO (S3 API).")
    catalog_database: Endpoint | None = Field(default=None, description="PostgreSQL.")
    identity_provider: Endpoint | None = Field(default=None, description="Keycloak.")
    storage: StorageSettings | None = Field(
        default=None, description="Object store administration; no storage without it."
    )
    catalog: CatalogSettings | None = Field(
        default=None, description="Catalog database administration; no catalogs without it."
    )
    trino: TrinoSettings | None = Field(
        default=None, description="Per-workspace Trino; no query engine without it."
    )
    identity: IdentitySettings | None = Field(
        default=None, description="Keycloak groups of each workspace; none without it."
    )
    access: AccessSettings = Field(
        default_factory=AccessSettings,
        description="Routes to each workspace's Trino from outside the cluster.",
    )
    audit: AuditSettings | None = Field(
        default=None, description="Audit trail; no query or decision records without it."
    )
    audit_receiver: Endpoint | None = Field(
        default=None, description="The audit receiver, as Trino pods reach it (egress)."
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, description="The operator's Prometheus metrics."
    )
    federation: FederationSettings | None = Field(
        default=None, description="Federation role; absent: a single cluster."
    )

    @model_validator(mode="after")
    def _trino_needs_storage_and_catalog(self) -> Settings:
        if self.trino is not None and (self.storage is None or self.catalog is None):
            raise ValueError("trino needs storage and catalog settings too")
        return self

    gateway_namespace: str = Field(
        default="havre-gateway",
        description="Namespace whose pods may reach workspaces' Trino port.",
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    )
    username_prefix: str = Field(
        default="oidc:",
        description="Prefix the API server gives OIDC usernames (claimMappings.username.prefix "
        "of its AuthenticationConfiguration); RoleBindings name <prefix><user>.",
        max_length=64,
    )
    operator_service_account: str = Field(
        default="havre-system/havre-operator",
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$",
        description="namespace/name of the operator's own service account, bound in each "
        "workspace namespace to ClusterRole havre-operator-workspace.",
    )
    trino_port: int = Field(default=8443, ge=1, le=65535)
    repair_interval: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between the idle checks of each workspace: in memory, no "
        "request; a workspace whose inputs changed is reconciled.",
    )
    audit_interval: float = Field(
        default=1800.0,
        gt=0,
        description="Mean seconds between full reconciles of an unchanged workspace (every "
        "object listed, the object store and the catalog database read), jittered by 20 %.",
    )
    namespace_quota_headroom_cpu: str = Field(default="1", description="CPU beyond Trino's.")
    namespace_quota_headroom_memory: str = Field(default="2Gi", description="Memory beyond.")


#: The root's scalar settings; endpoints are in endpoint.py, each area in its own module.
ROOT_ENV = {
    "HAVRE_GATEWAY_NAMESPACE": "gateway_namespace",
    "HAVRE_USERNAME_PREFIX": "username_prefix",
    "HAVRE_OPERATOR_SERVICE_ACCOUNT": "operator_service_account",
    "HAVRE_TRINO_PORT": "trino_port",
    "HAVRE_REPAIR_INTERVAL": "repair_interval",
    "HAVRE_AUDIT_INTERVAL": "audit_interval",
}


def root_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The root's scalar settings set by their ``HAVRE_*`` variables."""
    return section(env, ROOT_ENV)
