"""Retained data: what a Workspace deleted with ``deletionPolicy: Retain`` left outside the
cluster, and the admin's two ways to settle it (``havre retained``).

A bucket, an object-store policy, a catalog database and role record the UID of their
Workspace (``external/ownership.py``). Data is *retained* when that UID is not the UID of
the Workspace now holding the name (or no Workspace holds it), or when it records no
owner at all (made before records existed). A new Workspace of that name is then
``NameRetained``: nothing of the old data reaches it until an admin
- **releases** it: the records are rewritten to the new Workspace's UID, an explicit hand
  over — the new workspace's members then read the old project's files and tables; or
- **purges** it: bucket (every version), user, policy, catalog database and role are
  deleted; the new workspace then provisions fresh.
Neither ever touches data that records the UID of the Workspace holding the name now.
"""

from __future__ import annotations

from dataclasses import dataclass

from havre.api import names
from havre.api.model import is_valid_name
from havre.external.catalogdb import CatalogDatabase
from havre.external.objectstore import ObjectStore
from havre.external.ownership import Recorded, record
from havre.pipeline.apply_objectstore import objectstore_records, purge_objectstore

STORAGE, CATALOG = "storage", "catalog"


class RetainedError(Exception):
    """The admin's command cannot be carried out as asked; the message says why."""


@dataclass(frozen=True)
class Holding:
    """One system's resources for a workspace name, and whose they are."""

    workspace: str
    system: str
    #: The UID the resources record ("" when none; "?" when they disagree).
    recorded: str
    #: The UID of the Workspace holding the name now ("" when none).
    live: str

    @property
    def state(self) -> str:
        if self.live and self.recorded == self.live:
            return "in-use"
        return "unrecorded" if not self.recorded else "retained"


def _combined(records: list[Recorded]) -> str | None:
    """The owner the existing resources record: None when nothing exists."""
    existing = [r for r in records if r.exists]
    if not existing:
        return None
    uids = {r.uid for r in existing}
    return uids.pop() if len(uids) == 1 else "?"


def storage_records(store: ObjectStore, workspace: str) -> list[Recorded]:
    records, _ = objectstore_records(
        store, names.bucket(workspace), names.storage_principal(workspace)
    )
    return records


def holdings_of(
    workspace: str, live_uid: str, store: ObjectStore | None, catalogs: CatalogDatabase | None
) -> list[Holding]:
    """The resources a workspace name holds in each system, with the owner they record."""
    found = []
    if store is not None:
        owner = _combined(storage_records(store, workspace))
        if owner is not None:
            found.append(Holding(workspace, STORAGE, owner, live_uid))
    if catalogs is not None:
        owner = _combined(list(catalogs.workspace_owner(workspace)))
        if owner is not None:
            found.append(Holding(workspace, CATALOG, owner, live_uid))
    return found


def holdings(
    live: dict[str, str], store: ObjectStore | None, catalogs: CatalogDatabase | None
) -> list[Holding]:
    """Every workspace name holding resources in the store or the catalog database, with
    the owner they record; ``live``: Workspace name → UID, as the API server lists them."""
    candidates: set[str] = set()
    if store is not None:
        candidates |= {b.removeprefix(names.PREFIX) for b in store.list_buckets(names.PREFIX)}
    if catalogs is not None:
        candidates |= set(catalogs.workspaces())
    # A bucket or database whose name is no workspace name is not Havre's: left out, never
    # a crash of the whole listing.
    found = [
        h
        for workspace in sorted(c for c in candidates if is_valid_name(c))
        for h in holdings_of(workspace, live.get(workspace, ""), store, catalogs)
    ]
    return sorted(found, key=lambda h: (h.workspace, h.system))


def release(
    workspace: str,
    uid: str,
    store: ObjectStore | None,
    catalogs: CatalogDatabase | None,
) -> list[str]:
    """Hand the retained data of ``workspace`` to the Workspace ``uid`` now holding the name."""
    if not uid:
        raise RetainedError(f"no workspace named {workspace} exists to receive its data")
    done = []
    for holding in holdings_of(workspace, uid, store, catalogs):
        if holding.state == "in-use":
            continue
        if holding.system == STORAGE and store is not None:
            bucket, policy = names.bucket(workspace), names.storage_principal(workspace)
            if store.bucket_exists(bucket):
                store.set_bucket_owner(bucket, uid)
            document = store.policy_document(policy)
            if document is not None:
                store.ensure_policy(policy, {**document, "ID": record(uid)})
        elif holding.system == CATALOG and catalogs is not None:
            catalogs.set_workspace_owner(workspace, uid)
        done.append(f"released {holding.system} of {workspace} to uid {uid}")
    return done


def purge(
    workspace: str,
    live_uid: str,
    store: ObjectStore | None,
    catalogs: CatalogDatabase | None,
) -> list[str]:
    """Delete the retained data of ``workspace``; refuse, touching nothing, when any of it
    belongs to the Workspace now holding the name."""
    found = holdings_of(workspace, live_uid, store, catalogs)
    for holding in found:
        if holding.state == "in-use":
            raise RetainedError(
                f"the {holding.system} of {workspace} belongs to the workspace of that name "
                f"now (uid {live_uid}); delete that workspace with deletionPolicy Delete "
                "instead"
            )
    done: list[str] = []
    systems = {h.system for h in found}
    if STORAGE in systems and store is not None:
        done += purge_objectstore(store, workspace)
    if CATALOG in systems and catalogs is not None and catalogs.drop_workspace(workspace):
        done.append(f"dropped catalog/{workspace}")
    return done
