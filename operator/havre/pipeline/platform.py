"""The systems one reconcile talks to, handed to the steps that need a client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from havre.external.catalogdb import CatalogDatabase
from havre.external.objectstore import ObjectStore
from havre.kube.cluster import Cluster
from havre.pipeline.identity_sync import IdentitySync
from havre.settings import Settings


class DecisionLog(Protocol):
    """Where decisions go (the audit trail's sender): ``record`` only queues, never
    blocks and never fails on the receiver's account."""

    def record(self, *records: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Platform:
    """``store`` and ``catalogs`` are None when the settings name no object store or
    catalog database: nothing is provisioned there."""

    cluster: Cluster
    settings: Settings
    store: ObjectStore | None = None
    catalogs: CatalogDatabase | None = None
    #: PEM CAs each workspace's Trino trusts (from settings.trino.ca_bundle_file).
    trino_ca_bundle: str | None = None
    #: The identity provider's groups (None when the settings name no identity provider).
    identity: IdentitySync | None = None
    #: The audit trail's decision log (None: no trail configured).
    audit: DecisionLog | None = None

    @property
    def object_store(self) -> ObjectStore | None:
        """The object store, when both a client and its settings exist."""
        return self.store if self.settings.storage is not None else None

    @property
    def catalog_database(self) -> CatalogDatabase | None:
        return self.catalogs if self.settings.catalog is not None else None

    @property
    def identity_provider(self) -> IdentitySync | None:
        return self.identity if self.settings.identity is not None else None
