"""Each settings area owns its variables: every one names a field of its area, none is
read by two areas, and each area's value from the environment overrides the file's."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from havre.settings import Settings, load_settings
from havre.settings.access import ACCESS_ENV
from havre.settings.audit import AUDIT_ENV
from havre.settings.catalog import CATALOG_ENV
from havre.settings.endpoint import ENDPOINT_ENV
from havre.settings.federation import FEDERATION_ENV
from havre.settings.identity import IDENTITY_ENV
from havre.settings.load import AREAS
from havre.settings.metrics import METRICS_ENV
from havre.settings.root import ROOT_ENV
from havre.settings.storage import STORAGE_ENV
from havre.settings.trino import TRINO_ENV, TRINO_EXTRA_DNS_NAMES_ENV

_AREA_ENV: dict[str, Mapping[str, str]] = {
    "storage": STORAGE_ENV,
    "catalog": CATALOG_ENV,
    "trino": {**TRINO_ENV, TRINO_EXTRA_DNS_NAMES_ENV: "extra_dns_names"},
    "federation": FEDERATION_ENV,
    "identity": IDENTITY_ENV,
    "access": ACCESS_ENV,
    "audit": AUDIT_ENV,
    "metrics": METRICS_ENV,
}


def _area_model(name: str) -> type[BaseModel]:
    """The model of the nested settings ``name`` (``X | None`` or ``X``)."""
    annotation = Settings.model_fields[name].annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise AssertionError(f"{name} is not a nested settings model")


def test_every_area_is_loaded_and_names_a_nested_model() -> None:
    assert [name for name, _ in AREAS] == list(_AREA_ENV)
    for name in _AREA_ENV:
        _area_model(name)


def test_every_variable_names_a_field_of_its_area() -> None:
    for name, variables in _AREA_ENV.items():
        fields = _area_model(name).model_fields
        assert set(variables.values()) <= set(fields), name
    assert set(ROOT_ENV.values()) | set(ENDPOINT_ENV.values()) <= set(Settings.model_fields)


def test_no_variable_is_read_by_two_areas() -> None:
    maps = [*_AREA_ENV.values(), ROOT_ENV, ENDPOINT_ENV]
    names = [var for variables in maps for var in variables]
    assert len(names) == len(set(names))
    assert all(var.startswith("HAVRE_") for var in names)


def test_each_area_variable_overrides_only_its_field_from_the_file(tmp_path: Path) -> None:
    config = tmp_path / "havre.yaml"
    config.write_text(
        "metrics: {port: 9100, usage_interval: 30}\nfederation: {role: member, provider: ovh}\n"
    )
    settings = load_settings(
        {
            "HAVRE_CONFIG": str(config),
            "HAVRE_METRICS_PORT": "9200",
            "HAVRE_FEDERATION_PROVIDER": "scaleway",
        }
    )
    assert (settings.metrics.port, settings.metrics.usage_interval) == (9200, 30)
    assert settings.federation is not None
    assert (settings.federation.role, settings.federation.provider) == ("member", "scaleway")
