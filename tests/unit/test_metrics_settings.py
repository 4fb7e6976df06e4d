"""The operator's metrics settings."""

from __future__ import annotations

import pytest

from havre.settings import SettingsError, load_settings


def test_metrics_are_served_on_8081_of_every_address_by_default() -> None:
    metrics = load_settings({}).metrics
    assert (metrics.enabled, metrics.address, metrics.port, metrics.usage_interval) == (
        True,
        "0.0.0.0",  # noqa: S104 - the default under test
        8081,
        60.0,
    )


def test_metrics_settings_come_from_the_environment() -> None:
    metrics = load_settings(
        {
            "HAVRE_METRICS_PORT": "9464",
            "HAVRE_METRICS_ADDRESS": "127.0.0.1",
            "HAVRE_METRICS_ENABLED": "false",
            "HAVRE_METRICS_USAGE_INTERVAL": "5",
        }
    ).metrics
    assert (metrics.enabled, metrics.address, metrics.port, metrics.usage_interval) == (
        False,
        "127.0.0.1",
        9464,
        5.0,
    )


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("HAVRE_METRICS_PORT", "0"),
        ("HAVRE_METRICS_ADDRESS", "localhost:80"),
        ("HAVRE_METRICS_USAGE_INTERVAL", "0"),
    ],
)
def test_bad_metrics_settings_name_the_setting(var: str, value: str) -> None:
    with pytest.raises(SettingsError, match="metrics"):
        load_settings({var: value})
