"""Operator settings are validated at start, with the bad setting named."""

from __future__ import annotations

from pathlib import Path

import pytest

from havre.settings import SettingsError, load_settings


def test_defaults_need_no_configuration() -> None:
    settings = load_settings({})
    assert settings.gateway_namespace == "havre-gateway"
    assert settings.object_store is None


def test_environment_endpoints_are_cidr_and_port() -> None:
    settings = load_settings({"HAVRE_OBJECT_STORE": "10.0.3.0/24:9000"})
    assert settings.object_store is not None
    assert (settings.object_store.cidr, settings.object_store.port) == ("10.0.3.0/24", 9000)


def test_bad_endpoint_is_named() -> None:
    with pytest.raises(SettingsError, match=r"object_store.cidr"):
        load_settings({"HAVRE_OBJECT_STORE": "not-an-ip:9000"})


def test_file_settings_are_overridden_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "havre.yaml"
    config.write_text("gateway_namespace: gw\nrepair_interval: 5\n")
    settings = load_settings({"HAVRE_CONFIG": str(config), "HAVRE_REPAIR_INTERVAL": "2"})
    assert settings.gateway_namespace == "gw"
    assert settings.repair_interval == 2


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "havre.yaml"
    config.write_text("gatway_namespace: typo\n")
    with pytest.raises(SettingsError, match=r"gatway_namespace"):
        load_settings({"HAVRE_CONFIG": str(config)})


def test_federation_role_and_webhook_from_environment() -> None:
    settings = load_settings(
        {
            "HAVRE_FEDERATION_ROLE": "hub",
            "HAVRE_FEDERATION_WEBHOOK_PORT": "9443",
            "HAVRE_FEDERATION_RESYNC_INTERVAL": "2",
        }
    )
    assert settings.federation is not None
    assert (settings.federation.role, settings.federation.webhook_port) == ("hub", 9443)
    assert settings.federation.resync_interval == 2
    assert load_settings({}).federation is None


def test_unknown_federation_role_is_named() -> None:
    with pytest.raises(SettingsError, match=r"federation.role"):
        load_settings({"HAVRE_FEDERATION_ROLE": "satellite"})


def test_identity_settings_from_environment_keep_the_secret_hidden() -> None:
    settings = load_settings(
        {
            "HAVRE_IDENTITY_URL": "https://id.example",
            "HAVRE_IDENTITY_CLIENT_SECRET": "s3cr3t-value",
            "HAVRE_IDENTITY_CA_FILE": "/etc/havre/ca.pem",
        }
    )
    assert settings.identity is not None
    assert (settings.identity.realm, settings.identity.client_id) == ("havre", "havre-operator")
    assert settings.identity.group_root == "havre"
    assert "s3cr3t-value" not in repr(settings)


def test_identity_provider_must_be_reached_over_https() -> None:
    with pytest.raises(SettingsError, match=r"identity.url") as refused:
        load_settings(
            {"HAVRE_IDENTITY_URL": "http://id.example", "HAVRE_IDENTITY_CLIENT_SECRET": "x-y-z"}
        )
    assert "x-y-z" not in str(refused.value)


def test_tls_to_the_catalog_database_is_verified_unless_lowered() -> None:
    catalog = {
        "HAVRE_CATALOG_HOST": "pg.example",
        "HAVRE_CATALOG_USER": "havre",
        "HAVRE_CATALOG_PASSWORD": "secret",
    }
    settings = load_settings(catalog)
    assert settings.catalog is not None and settings.catalog.sslmode == "verify-full"
    lowered = load_settings({**catalog, "HAVRE_CATALOG_SSLMODE": "require"})
    assert lowered.catalog is not None and lowered.catalog.sslmode == "require"
    with pytest.raises(SettingsError, match=r"catalog.sslmode"):
        load_settings({**catalog, "HAVRE_CATALOG_SSLMODE": "sometimes"})


def test_operator_service_account_is_namespace_slash_name() -> None:
    assert load_settings({}).operator_service_account == "havre-system/havre-operator"
    custom = load_settings({"HAVRE_OPERATOR_SERVICE_ACCOUNT": "platform/havre"})
    assert custom.operator_service_account == "platform/havre"
    with pytest.raises(SettingsError, match=r"operator_service_account"):
        load_settings({"HAVRE_OPERATOR_SERVICE_ACCOUNT": "no-slash"})


def test_area_that_is_not_a_mapping_in_the_file_is_named_when_variables_set_it(
    tmp_path: Path,
) -> None:
    config = tmp_path / "havre.yaml"
    config.write_text("storage: null\n")
    env = {"HAVRE_CONFIG": str(config), "HAVRE_STORAGE_ACCESS_KEY": "x"}
    with pytest.raises(SettingsError, match="storage: the file gives it no mapping"):
        load_settings(env)
