"""The workspace's Trino as the operator assembles it: certificate, secrets, sizing."""

from __future__ import annotations

import dataclasses

import pytest

from havre.pipeline.render.trino import dns_names, render_certificate
from havre.pipeline.render.trino_workloads import render_trino
from havre.pipeline.validate import ValidWorkspace
from havre.settings import SettingsError, load_settings
from tests.unit.trino_fixtures import PLATFORM

STORAGE = {
    "HAVRE_STORAGE_URL": "https://minio.platform.svc:9000",
    "HAVRE_STORAGE_ACCESS_KEY": "admin",
    "HAVRE_STORAGE_SECRET_KEY": "secret-value",
}
CATALOG = {"HAVRE_CATALOG_HOST": "pg", "HAVRE_CATALOG_USER": "admin", "HAVRE_CATALOG_PASSWORD": "p"}
TRINO = {
    "HAVRE_TRINO_ISSUER": "https://id.example/realms/havre",
    "HAVRE_TRINO_JWKS_URL": "https://id.example/realms/havre/protocol/openid-connect/certs",
}


def test_trino_settings_need_storage_and_catalog() -> None:
    with pytest.raises(SettingsError, match="trino needs storage and catalog"):
        load_settings({**STORAGE, **TRINO})
    assert load_settings({**STORAGE, **CATALOG, **TRINO}).trino is not None


def test_certificate_names_the_service_and_the_admins_extra_names() -> None:
    settings = load_settings(
        {**STORAGE, **CATALOG, **TRINO, "HAVRE_TRINO_EXTRA_DNS_NAMES": "{workspace}.trino.example"}
    )
    assert dns_names(settings, "cardio") == [
        "trino.ws-cardio.svc",
        "trino.ws-cardio.svc.cluster.local",
        "trino.ws-cardio",
        "cardio.trino.example",
    ]


def test_cert_manager_certificate_writes_the_combined_pem_trino_reads(
    cardio: ValidWorkspace,
) -> None:
    cert = render_certificate(cardio, "ClusterIssuer/havre-ca", ["trino.ws-cardio.svc"])
    spec = cert["spec"]
    assert cert["metadata"]["namespace"] == "ws-cardio"
    assert spec["secretName"] == "havre-trino-tls"
    assert spec["issuerRef"] == {
        "group": "cert-manager.io",
        "kind": "ClusterIssuer",
        "name": "havre-ca",
    }
    assert {"type": "CombinedPEM"} in spec["additionalOutputFormats"]


def _replicas(ws: ValidWorkspace) -> dict[str, int]:
    return {
        m["metadata"]["name"]: m["spec"]["replicas"]
        for m in render_trino(ws, [], PLATFORM)
        if m["kind"] == "Deployment"
    }


def test_worker_count_follows_size_and_suspension_stops_every_node(cardio: ValidWorkspace) -> None:
    assert _replicas(cardio) == {"trino-coordinator": 1, "trino-worker": 2}
    bigger = dataclasses.replace(cardio, size=cardio.size.model_copy(update={"workers": 5}))
    assert _replicas(bigger)["trino-worker"] == 5
    suspended = dataclasses.replace(cardio, spec=cardio.spec.model_copy(update={"suspended": True}))
    assert _replicas(suspended) == {"trino-coordinator": 0, "trino-worker": 0}
