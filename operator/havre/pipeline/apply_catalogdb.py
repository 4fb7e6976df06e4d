"""The workspace in the catalog database: removals first, then what is granted; teardown.

Needs a client (the ``CatalogDatabase``). Idempotent by stable names: the workspace's
database and role, read-only access to the catalogs of exactly the datasets granted now.
Nothing is touched before the role's and the database's comments say they are this
Workspace's (``claim``). Each dataset is revoked and granted on its own: one that fails is
reported and the others still are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from havre.api.model import DeletionPolicy
from havre.errors import HavreError
from havre.external.catalogdb import CatalogDatabase
from havre.external.ownership import NameRetained, claim
from havre.pipeline.render.catalogdb import CatalogPlan


@dataclass(frozen=True)
class CatalogClaim:
    recorded: bool
    granted: frozenset[str]


def _each(
    items: list[str],
    action: Callable[[str], bool],
    label: str,
    changes: list[str],
    errors: list[HavreError],
) -> None:
    for item in items:
        try:
            if action(item):
                changes.append(f"{label}/{item}")
        except HavreError as exc:
            errors.append(exc)


def revoke_catalogdb(
    catalogs: CatalogDatabase, plan: CatalogPlan, changes: list[str], errors: list[HavreError]
) -> CatalogClaim:
    """Phase one: claim, refuse login (ending sessions) when access must end, and revoke
    every dataset no longer granted."""
    records = catalogs.workspace_owner(plan.workspace)
    claim(records, plan.owner, plan.workspace)
    if not plan.enabled and catalogs.disable_workspace(plan.workspace):
        changes.append(f"disabled catalog/{plan.workspace}")
    granted = catalogs.granted_datasets(plan.workspace)
    revoke = sorted(granted - plan.datasets)
    _each(
        revoke,
        lambda ds: catalogs.revoke_dataset(plan.workspace, ds),
        "-catalog-grant",
        changes,
        errors,
    )
    return CatalogClaim(all(r.uid == plan.owner for r in records), granted)


def provision_catalogdb(
    catalogs: CatalogDatabase,
    plan: CatalogPlan,
    claimed: CatalogClaim,
    changes: list[str],
    errors: list[HavreError],
) -> None:
    """Phase two: database and role (login only while enabled), then each new dataset."""
    if not plan.provision:
        return
    if catalogs.ensure_workspace(
        plan.workspace, plan.password, enabled=plan.enabled, owner=plan.owner
    ):
        changes.append(f"catalog/{plan.workspace}")
    if not claimed.recorded and catalogs.set_workspace_owner(plan.workspace, plan.owner):
        changes.append(f"owner catalog/{plan.workspace}")

    def grant(dataset: str) -> bool:
        catalogs.ensure_dataset(dataset)
        return catalogs.grant_dataset(plan.workspace, dataset)

    _each(sorted(plan.datasets - claimed.granted), grant, "catalog-grant", changes, errors)


def teardown_catalogdb(
    catalogs: CatalogDatabase, workspace: str, uid: str, policy: DeletionPolicy
) -> list[str]:
    """Retain: the role may no longer log in; its database and tables are kept.
    Delete: sessions ended, database and role dropped. Only this workspace's own."""
    try:
        claim(catalogs.workspace_owner(workspace), uid, workspace)
    except NameRetained:
        return []  # another workspace's retained catalog: not this one's to tear down
    if policy is DeletionPolicy.RETAIN:
        return [f"disabled catalog/{workspace}"] if catalogs.disable_workspace(workspace) else []
    return [f"dropped catalog/{workspace}"] if catalogs.drop_workspace(workspace) else []
