"""The workspace's Trino as one piece: configuration, workloads, certificate and internal
secret, from the validated workspace and its material (``pipeline/material.py``). Pure."""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.pipeline.render.trino_access import GrantedCatalog
from havre.pipeline.render.trino_config import TrinoPlatform
from havre.pipeline.render.trino_workloads import (
    CLIENT_SERVICE,
    TLS_SECRET,
    render_internal_secret,
    render_trino,
)
from havre.pipeline.validate import ValidGrant, ValidWorkspace
from havre.settings import Settings


def trino_platform(settings: Settings, ca_bundle: str | None) -> TrinoPlatform:
    """The platform as each workspace's Trino sees it (in-cluster addresses)."""
    assert settings.trino is not None and settings.storage is not None
    assert settings.catalog is not None
    trino = settings.trino
    return TrinoPlatform(
        object_store_url=trino.object_store_url or settings.storage.url,
        catalog_db_host=trino.catalog_host or settings.catalog.host,
        catalog_db_port=trino.catalog_port or settings.catalog.port,
        catalog_db_ssl_mode=trino.catalog_sslmode,
        identity_issuer=trino.identity_issuer,
        identity_jwks_url=trino.identity_jwks_url,
        identity_audience=trino.audience,
        ca_bundle=ca_bundle,
        image=trino.image,
        audit_url=settings.audit.receiver_url if settings.audit else None,
        audit_retry_count=settings.audit.listener_retry_count if settings.audit else 360,
        audit_max_delay_seconds=(
            settings.audit.listener_max_delay_seconds if settings.audit else 10
        ),
        metrics_user=settings.metrics.trino_scraper_user,
    )


def dns_names(settings: Settings, workspace: str) -> list[str]:
    """The coordinator Service's names, then the admin's extra ones for this workspace."""
    ns = names.namespace(workspace)
    base = [
        f"{CLIENT_SERVICE}.{ns}.svc",
        f"{CLIENT_SERVICE}.{ns}.svc.cluster.local",
        f"{CLIENT_SERVICE}.{ns}",
    ]
    extra = settings.trino.extra_dns_names if settings.trino else ()
    routed = settings.access.host(workspace)
    return base + [n.format(workspace=workspace) for n in extra] + ([routed] if routed else [])


def render_certificate(ws: ValidWorkspace, issuer: str, names_: list[str]) -> dict[str, Any]:
    """A cert-manager Certificate writing the same Secret, with the combined PEM Trino reads
    (cert-manager's CombinedPEM output is the ``tls-combined.pem`` key)."""
    kind, name = issuer.split("/", 1)
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "trino", "namespace": names.namespace(ws.name)},
        "spec": {
            "secretName": TLS_SECRET,
            "dnsNames": names_,
            "duration": "2160h",
            "renewBefore": "720h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "client auth"],
            "issuerRef": {"group": "cert-manager.io", "kind": kind, "name": name},
            "additionalOutputFormats": [{"type": "CombinedPEM"}],
        },
    }


def granted_catalogs(grants: tuple[ValidGrant, ...]) -> list[GrantedCatalog]:
    return [GrantedCatalog.for_dataset(g.dataset, g.bucket, g.prefix) for g in grants]


def render_trino_manifests(
    ws: ValidWorkspace,
    platform: TrinoPlatform,
    certificate: dict[str, Any],
    shared_secret: str,
) -> list[dict[str, Any]]:
    """Config maps, services, deployments, the internal secret, and the certificate: a
    Secret issued by the operator, or a cert-manager Certificate that writes it."""
    return [
        certificate,
        render_internal_secret(ws.name, shared_secret),
        *render_trino(ws, granted_catalogs(ws.grants), platform),
    ]


def endpoint(platform: TrinoPlatform, workspace: str) -> str:
    return f"https://{CLIENT_SERVICE}.{names.namespace(workspace)}.svc:{platform.port}"
