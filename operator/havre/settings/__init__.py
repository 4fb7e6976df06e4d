"""Operator settings: from ``HAVRE_*`` environment variables or one YAML file, validated at start.

``HAVRE_CONFIG=/path/config.yaml`` names the file; environment variables override it.
A bad value stops the operator at start with a message naming the setting.

One module per area holds its model and its variables (``storage.py``: ``StorageSettings``
and ``HAVRE_STORAGE_*``); ``root.py`` composes them into ``Settings`` and ``load.py`` reads
the file and every area's variables. To add an area ``x``: ``x.py`` with its model, its
``{variable: field}`` map ``X_ENV`` and a reader ``x_from_env``, a field ``x`` of
``Settings``, an entry in ``load.AREAS``, and its names here.
"""

from havre.settings.access import AccessSettings
from havre.settings.audit import AuditSettings
from havre.settings.catalog import CatalogSettings
from havre.settings.endpoint import Endpoint
from havre.settings.federation import FederationSettings
from havre.settings.identity import IdentitySettings
from havre.settings.load import SettingsError, load_settings
from havre.settings.metrics import MetricsSettings
from havre.settings.root import Settings
from havre.settings.storage import StorageSettings
from havre.settings.trino import TrinoSettings

__all__ = [
    "AccessSettings",
    "AuditSettings",
    "CatalogSettings",
    "Endpoint",
    "FederationSettings",
    "IdentitySettings",
    "MetricsSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "TrinoSettings",
    "load_settings",
]
