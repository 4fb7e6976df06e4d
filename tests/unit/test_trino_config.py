"""Trino's configuration files: golden, signed in with Keycloak JWTs over HTTPS only, no
secret in any file, datasets read-only in the connector, routes around the catalog closed."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from havre.pipeline.render.trino_config import (
    heap_megabytes,
    render_catalogs,
    render_coordinator_config,
    render_dataset_catalog,
    render_jvm_config,
    render_node_properties,
    render_worker_config,
    render_workspace_catalog,
)
from havre.pipeline.validate import ValidWorkspace
from tests.unit.trino_fixtures import (
    COHORT,
    PLATFORM,
    SNDS,
    assert_golden_text,
    parse_properties,
)


def sized(ws: ValidWorkspace, **size: Any) -> ValidWorkspace:
    """``ws`` with some of its size changed."""
    return dataclasses.replace(ws, size=ws.size.model_copy(update=size))


def test_config_files_match_golden(cardio: ValidWorkspace) -> None:
    assert_golden_text(
        "trino-coordinator-config.properties", render_coordinator_config(cardio, PLATFORM)
    )
    assert_golden_text("trino-worker-config.properties", render_worker_config(cardio, PLATFORM))
    assert_golden_text("trino-node.properties", render_node_properties(cardio))
    assert_golden_text("trino-workspace.properties", render_workspace_catalog(cardio, PLATFORM))
    assert_golden_text("trino-dataset.properties", render_dataset_catalog(SNDS, PLATFORM))


def test_heap_is_three_quarters_of_node_memory(cardio: ValidWorkspace) -> None:
    assert heap_megabytes(cardio) == 3072  # 4Gi
    assert "-Xmx3072M" in render_jvm_config(cardio).splitlines()
    small = dataclasses.replace(cardio, size=cardio.size.model_copy(update={"memory": "1Gi"}))
    assert heap_megabytes(small) == 768


def test_coordinator_accepts_only_keycloak_tokens_over_https(cardio: ValidWorkspace) -> None:
    config = parse_properties(render_coordinator_config(cardio, PLATFORM))
    assert config["http-server.http.enabled"] == "false"
    assert config["http-server.https.port"] == "8443"
    assert config["http-server.https.keystore.path"] == "/etc/trino-tls/tls-combined.pem"
    assert config["http-server.authentication.type"] == "JWT"
    assert config["http-server.authentication.jwt.key-file"] == PLATFORM.identity_jwks_url
    assert config["http-server.authentication.jwt.required-issuer"] == PLATFORM.identity_issuer
    assert config["http-server.authentication.jwt.required-audience"] == "trino"
    assert config["http-server.authentication.jwt.principal-field"] == "preferred_username"
    assert config["jwk.http-client.trust-store-path"] == "/etc/trino/trust/ca.pem"


def test_without_a_ca_bundle_the_jvm_trust_store_is_used(cardio: ValidWorkspace) -> None:
    platform = dataclasses.replace(PLATFORM, ca_bundle=None)
    assert "trust-store" not in render_coordinator_config(cardio, platform)


def test_nodes_talk_over_internal_tls_with_the_shared_secret_from_the_environment(
    cardio: ValidWorkspace,
) -> None:
    for text in (
        render_coordinator_config(cardio, PLATFORM),
        render_worker_config(cardio, PLATFORM),
    ):
        config = parse_properties(text)
        assert config["internal-communication.shared-secret"] == "${ENV:TRINO_SHARED_SECRET}"
        assert config["internal-communication.https.required"] == "true"
        assert config["discovery.uri"] == "https://trino-discovery.ws-cardio.svc:8443"
        assert config["catalog.management"] == "static"


def test_coordinator_runs_tasks_only_when_there_is_no_worker(cardio: ValidWorkspace) -> None:
    config = parse_properties(render_coordinator_config(cardio, PLATFORM))
    assert config["node-scheduler.include-coordinator"] == "false"
    alone = dataclasses.replace(cardio, size=cardio.size.model_copy(update={"workers": 0}))
    config = parse_properties(render_coordinator_config(alone, PLATFORM))
    assert config["node-scheduler.include-coordinator"] == "true"


def test_workers_shut_down_gracefully(cardio: ValidWorkspace) -> None:
    assert (
        parse_properties(render_worker_config(cardio, PLATFORM))["shutdown.grace-period"] == "30s"
    )


def test_workspace_catalog_is_its_database_and_bucket(cardio: ValidWorkspace) -> None:
    catalog = parse_properties(render_workspace_catalog(cardio, PLATFORM))
    assert catalog["iceberg.catalog.type"] == "jdbc"
    assert catalog["iceberg.jdbc-catalog.connection-url"] == (
        "jdbc:postgresql://catalog.havre-system.svc:5432/ws_cardio"
        "?sslmode=verify-full&sslrootcert=/etc/trino/trust/ca.pem"
    )
    assert catalog["iceberg.jdbc-catalog.default-warehouse-dir"] == "s3://ws-cardio/"
    assert catalog["s3.path-style-access"] == "true"
    assert "iceberg.security" not in catalog


def test_read_only_workspace_catalog_holds_the_same_tables_and_refuses_writes(
    cardio: ValidWorkspace,
) -> None:
    files = render_catalogs(cardio, [], PLATFORM)
    writable = parse_properties(files["workspace.properties"])
    read_only = parse_properties(files["workspace_readonly.properties"])
    assert read_only.pop("iceberg.security") == "read_only"
    assert read_only == writable


def test_dataset_catalog_refuses_writes_in_the_connector() -> None:
    catalog = parse_properties(render_dataset_catalog(SNDS, PLATFORM))
    assert catalog["iceberg.security"] == "read_only"
    url = catalog["iceberg.jdbc-catalog.connection-url"]
    assert url.split("?")[0].endswith("/ds_snds_sample")
    assert catalog["iceberg.jdbc-catalog.catalog-name"] == "snds-sample"
    assert catalog["iceberg.jdbc-catalog.default-warehouse-dir"] == "s3://datasets/snds/v1/"


def test_every_catalog_closes_the_routes_that_attach_files_by_path(cardio: ValidWorkspace) -> None:
    for text in render_catalogs(cardio, [SNDS, COHORT], PLATFORM).values():
        catalog = parse_properties(text)
        assert catalog["iceberg.register-table-procedure.enabled"] == "false"
        assert catalog["iceberg.add-files-procedure.enabled"] == "false"
        assert catalog["iceberg.unique-table-location"] == "true"


def test_one_catalog_per_active_grant(cardio: ValidWorkspace) -> None:
    files = render_catalogs(cardio, [COHORT, SNDS, SNDS], PLATFORM)
    assert list(files) == [
        "workspace.properties",
        "workspace_readonly.properties",
        "cohort_2019.properties",
        "snds_sample.properties",
    ]


def test_no_credential_is_written_into_any_file(cardio: ValidWorkspace) -> None:
    texts = [
        render_coordinator_config(cardio, PLATFORM),
        render_worker_config(cardio, PLATFORM),
        *render_catalogs(cardio, [SNDS], PLATFORM).values(),
    ]
    for text in texts:
        for key, value in parse_properties(text).items():
            if re.search(r"password|secret|access-key|secret-key|connection-user", key):
                assert re.fullmatch(r"\$\{ENV:[A-Z_]+\}", value), key


def test_catalog_database_tls_is_verified_against_the_ca_bundle_or_the_jvm() -> None:
    with_bundle = parse_properties(render_dataset_catalog(SNDS, PLATFORM))
    assert with_bundle["iceberg.jdbc-catalog.connection-url"].endswith(
        "?sslmode=verify-full&sslrootcert=/etc/trino/trust/ca.pem"
    )
    no_bundle = dataclasses.replace(PLATFORM, ca_bundle=None)
    jvm = parse_properties(render_dataset_catalog(SNDS, no_bundle))
    assert jvm["iceberg.jdbc-catalog.connection-url"].endswith(
        "?sslmode=verify-full&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory"
    )
