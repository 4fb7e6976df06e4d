"""Each settings area owns its variables: every one names a field of its area, none is
read by two areas, every nested settings model is loaded, and an area's variables
override the file's values field by field."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from havre.settings import Endpoint, Settings, load_settings
from havre.settings.endpoint import ENDPOINT_ENV
from havre.settings.load import AREAS
from havre.settings.root import ROOT_ENV
from havre.settings.trino import TRINO_EXTRA_DNS_NAMES_ENV


def _variables(name: str) -> Mapping[str, str]:
    """The ``{variable: field}`` map of an area: ``<AREA>_ENV`` beside its reader."""
    reader = dict(AREAS)[name]
    return dict(getattr(importlib.import_module(reader.__module__), f"{name.upper()}_ENV"))


def _model(name: str) -> type[BaseModel] | None:
    """The model of the field ``name`` of ``Settings`` when it is a nested model."""
    annotation = Settings.model_fields[name].annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def test_every_nested_settings_model_is_an_area_or_an_endpoint() -> None:
    nested = {name for name in Settings.model_fields if _model(name) not in (None, Endpoint)}
    assert nested == {name for name, _ in AREAS}
    endpoints = {name for name in Settings.model_fields if _model(name) is Endpoint}
    assert endpoints == set(ENDPOINT_ENV.values())


def test_each_area_reads_exactly_its_variables_into_its_fields() -> None:
    for name, reader in AREAS:
        model = _model(name)
        assert model is not None
        for var, field in _variables(name).items():
            assert field in model.model_fields, f"{var} names no field of {name}"
            assert reader({var: "value", "HAVRE_UNRELATED": "x"}) == {field: "value"}, var
    assert set(ROOT_ENV.values()) <= set(Settings.model_fields)


def test_no_variable_is_read_by_two_areas() -> None:
    maps = [*(_variables(name) for name, _ in AREAS), ROOT_ENV, ENDPOINT_ENV]
    names = [var for variables in maps for var in variables] + [TRINO_EXTRA_DNS_NAMES_ENV]
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
