"""``load_settings``: the ``HAVRE_CONFIG`` file, overridden by each area's variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from havre.settings.access import access_from_env
from havre.settings.audit import audit_from_env
from havre.settings.catalog import catalog_from_env
from havre.settings.endpoint import endpoints_from_env
from havre.settings.environment import overlay
from havre.settings.federation import federation_from_env
from havre.settings.identity import identity_from_env
from havre.settings.metrics import metrics_from_env
from havre.settings.root import Settings, root_from_env
from havre.settings.storage import storage_from_env
from havre.settings.trino import trino_from_env

#: Each nested settings area and the reader of its variables.
AREAS: tuple[tuple[str, Callable[[Mapping[str, str]], dict[str, Any]]], ...] = (
    ("storage", storage_from_env),
    ("catalog", catalog_from_env),
    ("trino", trino_from_env),
    ("federation", federation_from_env),
    ("identity", identity_from_env),
    ("access", access_from_env),
    ("audit", audit_from_env),
    ("metrics", metrics_from_env),
)


class SettingsError(ValueError):
    """The configuration is invalid; the message names each bad setting."""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from ``HAVRE_CONFIG`` (YAML) overridden by ``HAVRE_*`` variables.

    Endpoints are written ``CIDR:PORT`` in the environment, e.g. ``10.0.3.0/24:9000``.
    Error messages name the setting, never a secret's value.
    """
    env = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    if path := env.get("HAVRE_CONFIG"):
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read HAVRE_CONFIG={path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"HAVRE_CONFIG={path} must hold a mapping of settings")
        raw.update(loaded)
    raw.update(root_from_env(env))
    raw.update(endpoints_from_env(env))
    for name, from_env in AREAS:
        values = from_env(env)
        if values and not isinstance(raw.get(name, {}), dict):
            raise SettingsError(
                f"invalid operator settings: {name}: the file gives it no mapping, "
                f"but HAVRE_* variables set {', '.join(sorted(values))}"
            )
        overlay(raw, name, values)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid operator settings: {problems}") from exc
