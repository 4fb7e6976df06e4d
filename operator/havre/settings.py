"""Operator settings: from ``HAVRE_*`` environment variables or one YAML file, validated at start.

``HAVRE_CONFIG=/path/config.yaml`` names the file; environment variables override it.
A bad value stops the operator at start with a message naming the setting.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)


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


class IdentitySettings(BaseModel):
    """How the operator keeps each workspace's groups in the identity provider (Keycloak).

    The operator signs in as a confidential client with a service account (the realm's
    ``havre-operator`` client made by ``havre realm setup``), never as a realm admin, and
    only over verified HTTPS.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        description="Keycloak base URL (HTTPS), e.g. https://id.example; realms live under it.",
        pattern=r"^https://[^/\s]+(/[^\s]*)?$",
    )
    realm: str = Field(default="havre", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    client_id: str = Field(default="havre-operator", min_length=1, max_length=255)
    client_secret: SecretStr = Field(description="The client's secret (never logged).")
    ca_file: str | None = Field(
        default=None, description="PEM CA bundle that signs Keycloak's certificate."
    )
    group_root: str = Field(
        default="havre",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$",
        description="Top-level group under which each workspace gets /<root>/<ws>/<role>.",
    )
    resync_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long a workspace's groups, once in sync, are trusted before Keycloak "
        "is read again to repair drift; a change of members is applied at once.",
    )
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per request.")


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


_ENV = {
    "HAVRE_GATEWAY_NAMESPACE": "gateway_namespace",
    "HAVRE_USERNAME_PREFIX": "username_prefix",
    "HAVRE_OPERATOR_SERVICE_ACCOUNT": "operator_service_account",
    "HAVRE_TRINO_PORT": "trino_port",
    "HAVRE_REPAIR_INTERVAL": "repair_interval",
    "HAVRE_AUDIT_INTERVAL": "audit_interval",
}
_STORAGE_ENV = {
    "HAVRE_STORAGE_URL": "url",
    "HAVRE_STORAGE_ACCESS_KEY": "access_key",
    "HAVRE_STORAGE_SECRET_KEY": "secret_key",
    "HAVRE_STORAGE_CA_FILE": "ca_file",
}
_CATALOG_ENV = {
    "HAVRE_CATALOG_HOST": "host",
    "HAVRE_CATALOG_PORT": "port",
    "HAVRE_CATALOG_USER": "user",
    "HAVRE_CATALOG_PASSWORD": "password",
    "HAVRE_CATALOG_SSLMODE": "sslmode",
    "HAVRE_CATALOG_CA_FILE": "ca_file",
}
_TRINO_ENV = {
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
_IDENTITY_ENV = {
    "HAVRE_IDENTITY_URL": "url",
    "HAVRE_IDENTITY_REALM": "realm",
    "HAVRE_IDENTITY_CLIENT_ID": "client_id",
    "HAVRE_IDENTITY_CLIENT_SECRET": "client_secret",
    "HAVRE_IDENTITY_CA_FILE": "ca_file",
    "HAVRE_IDENTITY_GROUP_ROOT": "group_root",
    "HAVRE_IDENTITY_RESYNC_SECONDS": "resync_seconds",
}
_ACCESS_ENV = {
    "HAVRE_ACCESS_ROUTE": "route",
    "HAVRE_ACCESS_HOSTNAME": "hostname",
    "HAVRE_ACCESS_GATEWAY": "gateway",
    "HAVRE_ACCESS_GATEWAY_LISTENER": "gateway_listener",
    "HAVRE_ACCESS_INGRESS_CLASS": "ingress_class",
}
_AUDIT_ENV = {
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
_METRICS_ENV = {
    "HAVRE_METRICS_ENABLED": "enabled",
    "HAVRE_METRICS_ADDRESS": "address",
    "HAVRE_METRICS_PORT": "port",
    "HAVRE_METRICS_USAGE_INTERVAL": "usage_interval",
    "HAVRE_METRICS_TRINO_SCRAPER_USER": "trino_scraper_user",
    "HAVRE_METRICS_TRINO_SCRAPER_NAMESPACE": "trino_scraper_namespace",
    "HAVRE_METRICS_TRINO_SCRAPER_CIDR": "trino_scraper_cidr",
}
_FEDERATION_ENV = {
    "HAVRE_FEDERATION_ROLE": "role",
    "HAVRE_FEDERATION_PROVIDER": "provider",
    "HAVRE_FEDERATION_RESYNC_INTERVAL": "resync_interval",
    "HAVRE_FEDERATION_WEBHOOK_PORT": "webhook_port",
    "HAVRE_FEDERATION_WEBHOOK_HOST": "webhook_host",
    "HAVRE_FEDERATION_WEBHOOK_CERT_FILE": "webhook_cert_file",
    "HAVRE_FEDERATION_WEBHOOK_KEY_FILE": "webhook_key_file",
    "HAVRE_FEDERATION_WEBHOOK_CA_FILE": "webhook_ca_file",
}
_ENDPOINT_ENV = {
    "HAVRE_AUDIT_RECEIVER": "audit_receiver",
    "HAVRE_OBJECT_STORE": "object_store",
    "HAVRE_CATALOG_DATABASE": "catalog_database",
    "HAVRE_IDENTITY_PROVIDER": "identity_provider",
}


class SettingsError(ValueError):
    """The configuration is invalid; the message names each bad setting."""


def _endpoint(text: str) -> dict[str, Any]:
    cidr, _, port = text.rpartition(":")
    return {"cidr": cidr, "port": port}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from ``HAVRE_CONFIG`` (YAML) overridden by ``HAVRE_*`` variables.

    Endpoints are written ``CIDR:PORT`` in the environment, e.g. ``10.0.3.0/24:9000``.
    Error messages name the setting, never a secret's value.
    """
    env = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    if path := env.get("HAVRE_CONFIG"):
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read HAVRE_CONFIG={path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"HAVRE_CONFIG={path} must hold a mapping of settings")
        raw.update(loaded)
    for var, key in _ENV.items():
        if var in env:
            raw[key] = env[var]
    for var, key in _ENDPOINT_ENV.items():
        if var in env:
            raw[key] = _endpoint(env[var])
    storage = {key: env[var] for var, key in _STORAGE_ENV.items() if var in env}
    if storage:
        raw["storage"] = {**raw.get("storage", {}), **storage}
    catalog = {key: env[var] for var, key in _CATALOG_ENV.items() if var in env}
    if catalog:
        raw["catalog"] = {**raw.get("catalog", {}), **catalog}
    trino: dict[str, Any] = {key: env[var] for var, key in _TRINO_ENV.items() if var in env}
    if "HAVRE_TRINO_EXTRA_DNS_NAMES" in env:
        trino["extra_dns_names"] = [n for n in env["HAVRE_TRINO_EXTRA_DNS_NAMES"].split(",") if n]
    if trino:
        raw["trino"] = {**raw.get("trino", {}), **trino}
    federation = {key: env[var] for var, key in _FEDERATION_ENV.items() if var in env}
    if federation:
        raw["federation"] = {**raw.get("federation", {}), **federation}

    identity = {key: env[var] for var, key in _IDENTITY_ENV.items() if var in env}
    if identity:
        raw["identity"] = {**raw.get("identity", {}), **identity}

    access = {key: env[var] for var, key in _ACCESS_ENV.items() if var in env}
    if access:
        raw["access"] = {**raw.get("access", {}), **access}

    audit = {key: env[var] for var, key in _AUDIT_ENV.items() if var in env}
    if audit:
        raw["audit"] = {**raw.get("audit", {}), **audit}
    metrics = {key: env[var] for var, key in _METRICS_ENV.items() if var in env}
    if metrics:
        raw["metrics"] = {**raw.get("metrics", {}), **metrics}
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid operator settings: {problems}") from exc
