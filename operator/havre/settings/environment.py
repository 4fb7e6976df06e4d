"""How ``HAVRE_*`` variables become raw settings: shared by every area's module.

Each area module owns its variable names (a ``{variable: field}`` mapping) and reads them
with ``section``; ``load_settings`` lays each area's values over the YAML file's with
``overlay``. Values stay strings here: the models parse and validate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def section(env: Mapping[str, str], variables: Mapping[str, str]) -> dict[str, Any]:
    """The fields set in ``env``, keyed by field name, for one ``{variable: field}`` map."""
    return {field: env[var] for var, field in variables.items() if var in env}


def overlay(raw: dict[str, Any], name: str, values: dict[str, Any]) -> None:
    """Lay ``values`` over the nested settings ``name`` of ``raw`` (the file's), if any."""
    if values:
        raw[name] = {**raw.get(name, {}), **values}
