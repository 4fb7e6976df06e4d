"""Shared inputs of the Trino renderer tests, and golden files for text."""

from __future__ import annotations

import os
from pathlib import Path

from havre.pipeline.render.trino_access import GrantedCatalog
from havre.pipeline.render.trino_config import TrinoPlatform

GOLDEN = Path(__file__).parent / "golden"
#: A CA certificate made once for these tests (its key was thrown away).
TEST_CA = (GOLDEN / "test-ca.pem").read_text()
PLATFORM = TrinoPlatform(
    object_store_url="http://minio.havre-system.svc:9000",
    catalog_db_host="catalog.havre-system.svc",
    identity_issuer="https://id.example.org/realms/havre",
    identity_jwks_url="https://keycloak.havre-system.svc:8443/realms/havre/protocol/openid-connect/certs",
    ca_bundle=TEST_CA,
)
SNDS = GrantedCatalog("snds_sample", "snds-sample", "ds_snds_sample", "datasets", "snds/v1")
COHORT = GrantedCatalog("cohort_2019", "cohort-2019", "ds_cohort_2019", "datasets", "cohorts/2019")


def assert_golden_text(name: str, text: str) -> None:
    """Compare with tests/unit/golden/<name>; UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing; create it with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path} differs; rerun with UPDATE_GOLDEN=1 if intended"


def parse_properties(text: str) -> dict[str, str]:
    """A Java properties file as written by the renderers (``key=value`` lines)."""
    return dict(line.split("=", 1) for line in text.splitlines())
