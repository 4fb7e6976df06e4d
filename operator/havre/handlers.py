"""Thin kopf handlers: read what kopf gives, run the pipeline, report what it returned.

Every path that changes a workspace's access goes through ``refresh_workspace`` under a
per-workspace lock, so a grant's creation, deletion or expiry and the workspace's own
events never interleave their writes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import kopf

from havre.api.model import DeletionPolicy
from havre.errors import HavreError
from havre.kube.kinds import by_name
from havre.metrics import observe
from havre.pipeline.apply import INSTANCE
from havre.pipeline.catalog import teardown_catalog
from havre.pipeline.engine_availability import availability_signature
from havre.pipeline.grants import grant_checks
from havre.pipeline.reconcile import Outcome, Platform, reconcile_workspace
from havre.pipeline.status import conditions_json, merge_conditions, summary
from havre.pipeline.storage import teardown_storage
from havre.scheduler import Scheduler

WORKSPACE = by_name("Workspace")
DATASET = by_name("Dataset")
GRANT = by_name("DatasetGrant")


@dataclass
class Context:
    """What every handler needs, handed over through kopf's memo."""

    platform: Platform
    scheduler: Scheduler = field(default_factory=Scheduler)
    _locks: defaultdict[str, threading.Lock] = field(
        default_factory=lambda: defaultdict(threading.Lock)
    )
    #: The availability last seen of each Trino Deployment (namespace/name).
    engine_seen: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def lock(self, workspace: str) -> threading.Lock:
        return self._locks[workspace]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _post(obj: dict[str, Any], outcome: Outcome) -> None:
    for event in outcome.events:
        body = cast(kopf.Body, obj)  # kopf only reads apiVersion, kind and metadata
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


@observe.reconciles("Workspace")
def refresh_workspace(ctx: Context, name: str, obj: dict[str, Any] | None = None) -> Outcome | None:
    """Reconcile one workspace now and write its status if it changed."""
    with ctx.lock(name):
        current = ctx.platform.cluster.get(WORKSPACE, name)
        if current is None or current["metadata"].get("deletionTimestamp"):
            return None
        outcome = reconcile_workspace(ctx.platform, current, _now())
        observe.workspace_reconciled(current, outcome.status, outcome.retry)
        _schedule_expiry(ctx, f"workspace/{name}", current, lambda: refresh_workspace(ctx, name))
        if outcome.status_changed:
            ctx.platform.cluster.patch_status(WORKSPACE, name, outcome.status)
        _post(obj or current, outcome)
        return outcome


def _schedule_expiry(
    ctx: Context, key: str, obj: dict[str, Any], callback: Callable[[], object]
) -> None:
    """Arrange for ``callback`` at the object's ``spec.expires``, if that is still ahead."""
    raw = obj.get("spec", {}).get("expires")
    if not raw:
        return
    expires = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if expires > _now():
        ctx.scheduler.at(key, expires, callback)


def _backoff(retry: int) -> float:
    return float(min(60, 2 ** min(retry, 6)))


def reconcile(name: str, memo: kopf.Memo, retry: int, **_: Any) -> None:
    """Create, update, resume and the repair timer: bring the workspace to its spec."""
    outcome = refresh_workspace(memo["ctx"], name)
    if outcome is not None and outcome.retry:
        ready = next(c for c in outcome.status["conditions"] if c["type"] == "Ready")
        raise kopf.TemporaryError(f"{ready['reason']}: {ready['message']}", delay=_backoff(retry))


def repair(name: str, memo: kopf.Memo, **_: Any) -> None:
    """Timer: the same reconcile; it writes only where the cluster or the store drifted."""
    outcome = refresh_workspace(memo["ctx"], name)
    if outcome is not None and outcome.report is not None:
        observe.drift_repaired(
            outcome.report.applied, outcome.report.deleted, outcome.storage_changes
        )


def delete_workspace(name: str, spec: kopf.Spec, memo: kopf.Memo, retry: int, **_: Any) -> None:
    """Honour ``deletionPolicy`` outside the cluster; the namespace goes by garbage collection."""
    ctx: Context = memo["ctx"]
    ctx.scheduler.cancel(f"workspace/{name}")
    policy = DeletionPolicy(spec.get("deletionPolicy", DeletionPolicy.RETAIN.value))
    platform = ctx.platform
    with ctx.lock(name):
        try:
            if platform.store is not None:
                teardown_storage(platform.store, name, policy)
            if platform.catalogs is not None:
                teardown_catalog(platform.catalogs, name, policy)
        except HavreError as exc:
            raise kopf.TemporaryError(f"{exc.reason}: {exc}", delay=_backoff(retry)) from exc


@observe.reconciles("DatasetGrant")
def refresh_grant(ctx: Context, name: str) -> None:
    """Report a grant's state, schedule its end, and bring its workspace's access in line."""
    cluster = ctx.platform.cluster
    grant = cluster.get(GRANT, name)
    if grant is None or grant["metadata"].get("deletionTimestamp"):
        return
    spec = grant.get("spec", {})
    workspace = spec.get("workspace", "")
    checks = grant_checks(
        spec,
        workspace_exists=cluster.get(WORKSPACE, workspace) is not None,
        dataset_exists=cluster.get(DATASET, spec.get("dataset", "")) is not None,
        now=_now(),
    )
    old = grant.get("status") or {}
    generation = grant["metadata"].get("generation", 0)
    conditions = merge_conditions(
        old.get("conditions", []),
        [summary(checks), *checks],
        generation,
        _now().replace(microsecond=0),
    )
    status = {**old, "observedGeneration": generation, "conditions": conditions_json(conditions)}
    observe.grant_reconciled(grant, status)
    if status != old:
        cluster.patch_status(GRANT, name, status)
    _schedule_expiry(ctx, f"grant/{name}", grant, lambda: refresh_grant(ctx, name))
    if workspace:
        refresh_workspace(ctx, workspace)


def reconcile_grant(name: str, memo: kopf.Memo, **_: Any) -> None:
    """Create, update and resume of a DatasetGrant."""
    refresh_grant(memo["ctx"], name)


def delete_grant(name: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Withdraw the grant's access at once (the grant, being deleted, no longer counts)."""
    ctx: Context = memo["ctx"]
    ctx.scheduler.cancel(f"grant/{name}")
    workspace = body.get("spec", {}).get("workspace")
    if workspace:
        refresh_workspace(ctx, workspace)
        observe.grant_deleted(body)


def deployment_changed(
    event: kopf.RawEvent, labels: kopf.Labels, memo: kopf.Memo, **_: Any
) -> None:
    """A workspace's Trino Deployment changed availability: report QueryEngine again."""
    ctx: Context = memo["ctx"]
    obj = event["object"]
    key = f"{obj['metadata'].get('namespace')}/{obj['metadata'].get('name')}"
    if event.get("type") == "DELETED":
        ctx.engine_seen.pop(key, None)
    else:
        signature = availability_signature(obj)
        if ctx.engine_seen.get(key) == signature:
            return
        ctx.engine_seen[key] = signature
        if event.get("type") is None:
            return  # the initial listing: the resume handlers reconcile every workspace
    workspace = labels.get(INSTANCE)
    if workspace:
        refresh_workspace(ctx, workspace)


async def start_scheduler(memo: kopf.Memo, **_: Any) -> None:
    """Startup: expiry timers run on the operator's event loop."""
    ctx: Context = memo["ctx"]
    ctx.scheduler.bind(asyncio.get_running_loop())
