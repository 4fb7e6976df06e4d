"""What a workspace needs in the catalog database, and the Secret that hands it to Trino."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.pipeline.render.secrets import CATALOG_SECRET, render_secret
from havre.pipeline.validate import ValidWorkspace


@dataclass(frozen=True)
class CatalogPlan:
    workspace: str
    #: The Workspace's UID, recorded on its role and database.
    owner: str
    password: str
    #: Login allowed (not suspended, expired, or awaiting approval).
    enabled: bool
    #: Datasets whose catalogs the workspace may read now.
    datasets: frozenset[str]
    #: False when only access is to be withdrawn: nothing is created.
    provision: bool = True

    def __repr__(self) -> str:  # the password must never reach a log line
        return f"CatalogPlan(workspace={self.workspace!r}, datasets={sorted(self.datasets)})"


def render_catalog_plan(ws: ValidWorkspace, password: str) -> CatalogPlan:
    return CatalogPlan(
        workspace=ws.name,
        owner=ws.uid,
        password=password,
        enabled=ws.enabled,
        datasets=frozenset(g.dataset for g in ws.grants),
    )


def render_catalog_lockdown(workspace: str, uid: str) -> CatalogPlan:
    """Login refused and every dataset revoked, nothing created."""
    return CatalogPlan(workspace, uid, "", enabled=False, datasets=frozenset(), provision=False)


def render_catalog_secret(
    ws: ValidWorkspace, host: str, port: int, password: str
) -> dict[str, Any]:
    """The workspace's catalog credentials, in its namespace only."""
    return render_secret(
        ws.name,
        CATALOG_SECRET,
        {
            "PGHOST": host,
            "PGPORT": str(port),
            "PGDATABASE": names.database(ws.name),
            "PGUSER": names.database(ws.name),
            "PGPASSWORD": password,
        },
    )
