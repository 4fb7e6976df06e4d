"""Each workspace Trino's own /metrics: the coordinator exports the query beans, only the
scraper's identity may read system information (and nothing else), only the configured
scraper source reaches the coordinator's HTTPS port, the realm's scraper client, the local
Prometheus job and its targets."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.components.prometheus import Prometheus
from devstack.paths import StackPaths
from devstack.trino_targets import coordinator_targets
from havre.errors import InvalidSpec
from havre.external.realm_spec import RealmOptions, render_clients
from havre.metrics.trino import TRINO_JOB, TRINO_METRICS, keep_regex
from havre.pipeline.render.network import SCRAPER_POLICY, render_network_policies
from havre.pipeline.render.trino import trino_platform
from havre.pipeline.render.trino_access import render_access_rules
from havre.pipeline.render.trino_config import (
    METRICS_BEANS,
    render_coordinator_config,
    render_worker_config,
)
from havre.pipeline.render.trino_workloads import render_trino
from havre.pipeline.validate import ValidWorkspace
from havre.settings import MetricsSettings, Settings, SettingsError, load_settings
from tests.unit.trino_fixtures import PLATFORM, SNDS, parse_properties

COORDINATOR = {"app.kubernetes.io/name": "trino", "app.kubernetes.io/component": "coordinator"}


def _with_scraper(settings: Settings, **metrics: Any) -> Settings:
    return settings.model_copy(update={"metrics": MetricsSettings(**metrics)})


def test_coordinator_exports_the_query_manager_beans_and_workers_export_nothing(
    cardio: ValidWorkspace,
) -> None:
    coordinator = parse_properties(render_coordinator_config(cardio, PLATFORM))
    assert coordinator["openmetrics.jmx-object-names"] == "trino.execution:name=QueryManager"
    assert METRICS_BEANS == ("trino.execution:name=QueryManager",)
    worker = parse_properties(render_worker_config(cardio, PLATFORM))
    assert "openmetrics.jmx-object-names" not in worker


def test_only_the_scraper_reads_system_information_and_it_matches_no_other_rule() -> None:
    rules = render_access_rules([SNDS], metrics_user="service-account-prometheus")
    assert rules["system_information"] == [
        {"user": "service-account-prometheus", "allow": ["read"]}
    ]
    # Every other rule names groups; the scraper is in none: no catalog, table or query.
    for section, entries in rules.items():
        if section == "system_information":
            continue
        for entry in entries:
            assert "user" not in entry, (section, entry)
    assert "write" not in rules["system_information"][0]["allow"]


def test_without_a_scraper_nobody_reads_system_information() -> None:
    assert render_access_rules([SNDS])["system_information"] == []


def test_scraper_name_is_matched_literally_and_a_pattern_is_refused() -> None:
    rules = render_access_rules([], metrics_user="svc.prometheus")
    assert rules["system_information"][0]["user"] == r"svc\.prometheus"
    with pytest.raises(InvalidSpec):
        render_access_rules([], metrics_user=".*")


def test_coordinator_rules_carry_the_configured_scraper(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    platform = dataclasses.replace(
        PLATFORM, metrics_user=_with_scraper(settings).metrics.trino_scraper_user
    )
    maps = {m["metadata"]["name"]: m for m in render_trino(cardio, [SNDS], platform)}
    rules = yaml.safe_load(maps["trino-access"]["data"]["rules.json"])
    assert rules["system_information"][0]["user"] == "service-account-prometheus"
    worker = yaml.safe_load(maps["trino-worker-access"]["data"]["rules.json"])
    assert worker["system_information"] == [{"user": ".*", "allow": []}]


def test_trino_platform_takes_the_scraper_user_from_metrics_settings() -> None:
    env = {
        "HAVRE_STORAGE_URL": "https://minio.example:9000",
        "HAVRE_STORAGE_ACCESS_KEY": "admin",
        "HAVRE_STORAGE_SECRET_KEY": "secret-key",
        "HAVRE_CATALOG_HOST": "pg.example",
        "HAVRE_CATALOG_USER": "havre",
        "HAVRE_CATALOG_PASSWORD": "pw",
        "HAVRE_TRINO_ISSUER": "https://id.example/realms/havre",
        "HAVRE_TRINO_JWKS_URL": "https://id.example/realms/havre/certs",
        "HAVRE_METRICS_TRINO_SCRAPER_USER": "prom-scraper",
    }
    assert trino_platform(load_settings(env), None).metrics_user == "prom-scraper"


def test_no_scraper_source_configured_opens_nothing(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    names = [p["metadata"]["name"] for p in render_network_policies(cardio, settings)]
    assert SCRAPER_POLICY not in names
    empty = load_settings(
        {"HAVRE_METRICS_TRINO_SCRAPER_CIDR": "", "HAVRE_METRICS_TRINO_SCRAPER_NAMESPACE": ""}
    )
    assert empty.metrics.trino_scraper_cidr is None
    assert SCRAPER_POLICY not in [
        p["metadata"]["name"] for p in render_network_policies(cardio, empty)
    ]


def _scraper_policy(ws: ValidWorkspace, settings: Settings) -> dict[str, Any]:
    found = [
        p for p in render_network_policies(ws, settings) if p["metadata"]["name"] == SCRAPER_POLICY
    ]
    assert len(found) == 1
    return found[0]


def test_scraper_namespace_and_address_reach_only_the_coordinators_https_port(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    configured = _with_scraper(
        settings, trino_scraper_namespace="monitoring", trino_scraper_cidr="10.64.192.1/32"
    )
    policy = _scraper_policy(cardio, configured)
    assert policy["metadata"]["namespace"] == "ws-cardio"
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": COORDINATOR}
    assert spec["policyTypes"] == ["Ingress"]
    assert "egress" not in spec
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": configured.trino_port}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
        {"ipBlock": {"cidr": "10.64.192.1/32"}},
    ]
    # Default deny stays in place beside it.
    names = [p["metadata"]["name"] for p in render_network_policies(cardio, configured)]
    assert "havre-default-deny" in names


def test_scraper_settings_are_validated() -> None:
    with pytest.raises(SettingsError, match="trino_scraper_cidr"):
        load_settings({"HAVRE_METRICS_TRINO_SCRAPER_CIDR": "not-an-address"})
    with pytest.raises(SettingsError, match="trino_scraper_namespace"):
        load_settings({"HAVRE_METRICS_TRINO_SCRAPER_NAMESPACE": "Bad_Namespace"})
    with pytest.raises(SettingsError, match="trino_scraper_user"):
        load_settings({"HAVRE_METRICS_TRINO_SCRAPER_USER": ".*"})


def test_realm_has_a_client_credentials_scraper_client_for_trino_only() -> None:
    clients = {c["clientId"]: c for c in render_clients(RealmOptions())}
    scraper = clients["prometheus"]
    assert scraper["serviceAccountsEnabled"] and not scraper["publicClient"]
    assert not scraper["standardFlowEnabled"] and not scraper["directAccessGrantsEnabled"]
    assert not scraper["fullScopeAllowed"]
    audiences = [
        m["config"]["included.client.audience"]
        for m in scraper["protocolMappers"]
        if m["protocolMapper"] == "oidc-audience-mapper"
    ]
    assert audiences == ["trino"]


def test_local_prometheus_scrapes_trino_over_verified_tls_with_a_client_credentials_token(
    tmp_path: Path,
) -> None:
    prometheus = Prometheus(StackPaths(state=tmp_path, port_offset=130))
    prometheus._write_config()
    config = yaml.safe_load(prometheus.config.read_text())
    job = {j["job_name"]: j for j in config["scrape_configs"]}[TRINO_JOB]
    assert job["scheme"] == "https" and job["metrics_path"] == "/metrics"
    assert job["tls_config"]["ca_file"] == str(prometheus.ca.cert_path)
    assert "insecure_skip_verify" not in job["tls_config"]
    oauth2 = job["oauth2"]
    assert oauth2["client_id"] == "prometheus"
    assert oauth2["token_url"].startswith("https://localhost:")
    assert Path(oauth2["client_secret_file"]).stat().st_mode & 0o077 == 0
    assert "client_secret" not in oauth2
    assert job["file_sd_configs"][0]["files"] == [str(prometheus.trino_targets_dir / "*.json")]
    keep, labels = job["metric_relabel_configs"]
    assert keep == {"source_labels": ["__name__"], "action": "keep", "regex": keep_regex()}
    assert labels == {"action": "labelkeep", "regex": "__name__|job|instance|workspace"}


def test_scrape_keeps_exactly_the_documented_trino_series() -> None:
    for name in TRINO_METRICS:
        assert re.fullmatch(keep_regex(), name), name
    for other in (
        "JMX_trino_execution_NAME_QueryManager_ATTRIBUTE_CompletedQueries_OneMinute_Count",
        "trino_execution_name_QueryManager_CompletedQueries",
        "io_airlift_http_client_type_HttpClient_name_ForExchange_RequestFailed",
    ):
        assert not re.fullmatch(keep_regex(), other), other


def _pod(namespace: str, ip: str | None, phase: str = "Running", **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "trino-coordinator-x", "namespace": namespace, **meta},
        "status": {"phase": phase, **({"podIP": ip} if ip else {})},
    }


def test_targets_list_running_coordinators_of_workspace_namespaces_only() -> None:
    groups = coordinator_targets(
        [
            _pod("ws-b", "10.64.0.9"),
            _pod("ws-a", "10.64.0.7"),
            _pod("ws-c", None, phase="Pending"),
            _pod("ws-d", "10.64.0.8", deletionTimestamp="2026-11-29T00:00:00Z"),
            _pod("kube-system", "10.64.0.2"),
        ]
    )
    assert groups == [
        {"targets": ["10.64.0.7:8443"], "labels": {"__meta_havre_namespace": "ws-a"}},
        {"targets": ["10.64.0.9:8443"], "labels": {"__meta_havre_namespace": "ws-b"}},
    ]
