"""Apply a workspace's catalog database state, and take it down on deletion.

Needs a client (the ``CatalogDatabase``). Idempotent by stable names: the workspace's
database and role, read-only access to the catalogs of exactly the datasets granted now.
"""

from __future__ import annotations

from collections.abc import Set

from havre.api.model import DeletionPolicy
from havre.external.catalogdb import CatalogDatabase


def apply_catalog(
    catalogs: CatalogDatabase,
    workspace: str,
    password: str,
    *,
    enabled: bool,
    datasets: Set[str],
) -> list[str]:
    """Database and role (login only while ``enabled``), then grants: revoke first, so
    access never outlives its grant, then grant what is wanted. Returns what changed."""
    changed = []
    if catalogs.ensure_workspace(workspace, password, enabled=enabled):
        changed.append(f"catalog/{workspace}")
    granted = catalogs.granted_datasets(workspace)
    for dataset in sorted(granted - datasets):
        if catalogs.revoke_dataset(workspace, dataset):
            changed.append(f"-catalog-grant/{dataset}")
    for dataset in sorted(datasets - granted):
        catalogs.ensure_dataset(dataset)
        if catalogs.grant_dataset(workspace, dataset):
            changed.append(f"catalog-grant/{dataset}")
    return changed


def teardown_catalog(
    catalogs: CatalogDatabase, workspace: str, policy: DeletionPolicy
) -> list[str]:
    """Retain: the role may no longer log in; its database and tables are kept.
    Delete: sessions ended, database and role dropped."""
    if policy is DeletionPolicy.RETAIN:
        return [f"disabled catalog/{workspace}"] if catalogs.disable_workspace(workspace) else []
    return [f"dropped catalog/{workspace}"] if catalogs.drop_workspace(workspace) else []
