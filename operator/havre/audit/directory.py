"""What the receiver reads through the API server: the Workspace a credential's UID
belongs to, and the DatasetGrant in force for a dataset catalog at a given time.

Read with LISTs, cached for ``ttl`` seconds and re-read on a miss. Grants the receiver saw
and that were deleted since are kept (with when they went away) so a query that ran
before a revocation, and whose event arrives after it, still finds its legal basis.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from havre.audit.events import GrantInForce, Workspace, parse_time
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

WORKSPACE = by_name("Workspace")
DATASET = by_name("Dataset")
GRANT = by_name("DatasetGrant")


@dataclass
class _Grant:
    obj: dict[str, Any]
    gone: dt.datetime | None = None


def _time(value: Any) -> dt.datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


class Directory:
    """Cached reads of Workspaces, Datasets and DatasetGrants."""

    def __init__(self, cluster: Cluster, ttl: float = 5.0) -> None:
        self.cluster = cluster
        self.ttl = ttl
        self._lock = threading.Lock()
        self._read_at = -1e9
        self._workspaces: dict[str, Workspace] = {}
        self._datasets: dict[str, dict[str, Any]] = {}
        self._grants: dict[str, _Grant] = {}

    def _refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._read_at < self.ttl:
            return
        workspaces = self.cluster.list(WORKSPACE)
        datasets = self.cluster.list(DATASET)
        grants = self.cluster.list(GRANT)
        now = dt.datetime.now(dt.UTC)
        self._workspaces = {
            w["metadata"]["uid"]: Workspace(w["metadata"]["name"], w["metadata"]["uid"])
            for w in workspaces
        }
        self._datasets = {d["metadata"]["name"]: d for d in datasets}
        current = {g["metadata"]["uid"]: g for g in grants}
        for uid, entry in self._grants.items():
            if uid not in current and entry.gone is None:
                entry.gone = now
        for uid, obj in current.items():
            self._grants[uid] = _Grant(obj)
        self._read_at = time.monotonic()

    def workspace(self, uid: str) -> Workspace | None:
        """The Workspace with this UID now (None when none has it)."""
        with self._lock:
            self._refresh()
            if uid not in self._workspaces:
                self._refresh(force=True)
            return self._workspaces.get(uid)

    def grant_in_force(self, ws: Workspace, catalog: str, at: dt.datetime) -> GrantInForce | None:
        """The grant that let ``ws`` read the dataset of ``catalog`` at ``at``."""
        with self._lock:
            self._refresh()
            found = self._find(ws, catalog, at)
            if found is None:
                self._refresh(force=True)
                found = self._find(ws, catalog, at)
            return found

    def _find(self, ws: Workspace, catalog: str, at: dt.datetime) -> GrantInForce | None:
        candidates = []
        for entry in self._grants.values():
            meta, spec = entry.obj["metadata"], entry.obj.get("spec", {})
            dataset = str(spec.get("dataset", ""))
            if spec.get("workspace") != ws.name or dataset.replace("-", "_") != catalog:
                continue
            bound = (entry.obj.get("status") or {}).get("workspaceUID")
            if bound and bound != ws.uid:
                continue  # a grant bound to an earlier workspace of the same name
            created = _time(meta.get("creationTimestamp"))
            expires = _time(spec.get("expires"))
            ended = _time(meta.get("deletionTimestamp")) or entry.gone
            if created is None or created > at or (expires is not None and expires <= at):
                continue
            if ended is not None and ended <= at:
                continue
            candidates.append((meta["name"], meta["uid"], dataset, spec))
        if not candidates:
            return None
        name, uid, dataset, spec = sorted(candidates)[0]
        ds = self._datasets.get(dataset, {}).get("metadata", {})
        return GrantInForce(
            dataset=dataset,
            dataset_uid=str(ds.get("uid", "")),
            grant=name,
            grant_uid=uid,
            legal_basis=str(spec.get("legalBasis", "")),
            expires=str(spec.get("expires", "")),
        )
