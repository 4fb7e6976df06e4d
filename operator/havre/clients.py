"""The operator's clients of the platform's systems, built from its settings (shared by the
operator and the admin's command line)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from havre.external.catalogdb import CatalogDatabase
from havre.external.identity import IdentityProvider
from havre.external.keycloak import KeycloakIdentity
from havre.external.minio import MinioStore
from havre.external.minio_usage import MinioUsage
from havre.external.objectstore import ObjectStore
from havre.external.postgres import PostgresCatalogs
from havre.settings import Settings

_Minio = TypeVar("_Minio", MinioStore, MinioUsage)


def object_store(settings: Settings) -> ObjectStore | None:
    return _storage_client(settings, MinioStore)


def bucket_usage(settings: Settings) -> MinioUsage | None:
    return _storage_client(settings, MinioUsage)


def _storage_client(settings: Settings, client: type[_Minio]) -> _Minio | None:
    """``client`` of the object store in ``settings`` (None without one), with its
    administrator's credentials."""
    if settings.storage is None:
        return None
    return client(
        settings.storage.endpoint,
        settings.storage.access_key,
        settings.storage.secret_key.get_secret_value(),
        secure=settings.storage.secure,
        ca_file=settings.storage.ca_file,
    )


def catalog_database(settings: Settings) -> CatalogDatabase | None:
    if settings.catalog is None:
        return None
    return PostgresCatalogs(
        settings.catalog.host,
        settings.catalog.port,
        settings.catalog.user,
        settings.catalog.password.get_secret_value(),
        sslmode=settings.catalog.sslmode,
        sslrootcert=settings.catalog.ca_file,
    )


def identity_provider(settings: Settings) -> IdentityProvider | None:
    if settings.identity is None:
        return None
    identity = settings.identity
    return KeycloakIdentity(
        identity.url,
        identity.realm,
        identity.client_id,
        identity.client_secret.get_secret_value(),
        ca_file=identity.ca_file,
        timeout=identity.timeout,
    )


def trino_ca_bundle(settings: Settings) -> str | None:
    if settings.trino is None or settings.trino.ca_bundle_file is None:
        return None
    return Path(settings.trino.ca_bundle_file).read_text()
