"""The workspace's Trino: its configuration, workloads, certificate and internal secret.

Pure but for the certificate, whose key is generated here when the kept one must be
renewed (the Secret then keeps it: a reconcile never rotates a valid certificate).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from havre.api import names
from havre.external.pki import CertificateAuthority, issue, needs_renewal
from havre.pipeline.dereference import ActiveGrant
from havre.pipeline.render.secrets import render_secret
from havre.pipeline.render.trino_access import GrantedCatalog
from havre.pipeline.render.trino_config import TrinoPlatform
from havre.pipeline.render.trino_workloads import (
    CLIENT_SERVICE,
    INTERNAL_SECRET,
    INTERNAL_SECRET_KEY,
    TLS_SECRET,
    render_trino,
)
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings

TLS_KEY = "tls-combined.pem"


def trino_platform(settings: Settings, ca_bundle: str | None) -> TrinoPlatform:
    """The platform as each workspace's Trino sees it (in-cluster addresses)."""
    assert settings.trino is not None and settings.storage is not None
    assert settings.catalog is not None
    trino = settings.trino
    return TrinoPlatform(
        object_store_url=trino.object_store_url or settings.storage.url,
        catalog_db_host=trino.catalog_host or settings.catalog.host,
        catalog_db_port=trino.catalog_port or settings.catalog.port,
        identity_issuer=trino.identity_issuer,
        identity_jwks_url=trino.identity_jwks_url,
        identity_audience=trino.audience,
        ca_bundle=ca_bundle,
        image=trino.image,
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
    return base + [n.format(workspace=workspace) for n in extra]


def query_engine_manifests(
    ws: ValidWorkspace,
    grants: tuple[ActiveGrant, ...],
    platform: TrinoPlatform,
    ca: CertificateAuthority,
    kept: dict[str, dict[str, str]],
    names_: list[str],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Config maps, services, deployments, and the two Secrets they read."""
    catalogs = [
        GrantedCatalog.for_dataset(g.spec.dataset, g.dataset.bucket, g.dataset.prefix)
        for g in grants
    ]
    kept_pem = kept.get(TLS_SECRET, {}).get(TLS_KEY)
    combined = kept_pem.encode() if kept_pem else None
    if combined is None or needs_renewal(combined, ca, names_, now):
        combined = issue(ca, names_, now)
    shared = kept.get(INTERNAL_SECRET, {}).get(INTERNAL_SECRET_KEY) or secrets.token_hex(32)
    return [
        render_secret(ws.name, TLS_SECRET, {TLS_KEY: combined.decode()}),
        render_secret(ws.name, INTERNAL_SECRET, {INTERNAL_SECRET_KEY: shared}),
        *render_trino(ws, catalogs, platform),
    ]


def endpoint(platform: TrinoPlatform, workspace: str) -> str:
    return f"https://{CLIENT_SERVICE}.{names.namespace(workspace)}.svc:{platform.port}"
