"""Thin kopf handlers: read what kopf gives, run the pipeline, report what it returned.

Every path that changes a workspace's access goes through ``refresh_workspace`` under a
per-workspace lock, so a grant's creation, deletion or expiry and the workspace's own
events never interleave their writes; the records it reads are taken inside the lock, so
a later event is never overtaken by an earlier one. A grant or dataset change wakes only
the workspaces it names (from the indexes), nothing else.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import kopf

from havre.api.model import DeletionPolicy
from havre.audit import decisions
from havre.errors import HavreError
from havre.federation import holder
from havre.federation.member import member_provider
from havre.indexes import ConfirmingCatalogue, KopfCatalogue
from havre.kube.kinds import by_name
from havre.metrics import observe
from havre.pipeline.apply_audit import (
    SpecChange,
    grant_decisions,
    record_decisions,
)
from havre.pipeline.apply_catalogdb import teardown_catalogdb
from havre.pipeline.apply_cluster import INSTANCE
from havre.pipeline.apply_objectstore import teardown_objectstore
from havre.pipeline.dataset_reconcile import DatasetOutcome, reconcile_dataset
from havre.pipeline.engine_availability import availability_signature
from havre.pipeline.events import Event
from havre.pipeline.grant_reconcile import reconcile_grant
from havre.pipeline.ledger import Ledger
from havre.pipeline.reconcile import Outcome, Platform, reconcile_workspace
from havre.scheduler import Scheduler

_log = logging.getLogger("havre.handlers")
REPAIR_THREADS = 2
REVOCATION_THREADS = 4
#: Seconds before a failed withdrawal of a remote grant's credentials is tried again.
HOLDER_RETRY_SECONDS = 10
WORKSPACE = by_name("Workspace")
DATASET = by_name("Dataset")
GRANT = by_name("DatasetGrant")


@dataclass
class Context:
    """What every handler needs, handed over through kopf's memo."""

    platform: Platform
    #: Threads of the revocations (a grant's deletion, an expiry), apart from kopf's: a
    #: revocation never queues behind provisioning or repairs.
    revocations: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=REVOCATION_THREADS, thread_name_prefix="havre-revocation"
        )
    )
    scheduler: Scheduler = field(init=False)
    catalogue: KopfCatalogue = field(default_factory=KopfCatalogue)
    #: Threads of the repair timer, apart from kopf's: a repair never delays a revocation.
    repairs: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=REPAIR_THREADS, thread_name_prefix="havre-repair"
        )
    )
    _locks: defaultdict[str, threading.Lock] = field(
        default_factory=lambda: defaultdict(threading.Lock)
    )
    #: The availability last seen of each Trino Deployment (namespace/name).
    engine_seen: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    #: The last clean full reconcile of each workspace: an idle repair tick costs nothing.
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.platform.settings.audit_interval)
        self.scheduler = Scheduler(self.revocations)

    def lock(self, key: str) -> threading.Lock:
        return self._locks[key]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _post(obj: dict[str, Any], events: list[Event]) -> None:
    for event in events:
        body = cast(kopf.Body, obj)  # kopf only reads apiVersion, kind and metadata
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


@observe.reconciles("Workspace")
def refresh_workspace(ctx: Context, name: str, change: SpecChange | None = None) -> Outcome | None:
    """Reconcile one workspace now and write its status if it changed; ``change``: the
    spec change that woke it (its decisions go to the audit trail)."""
    with ctx.lock(f"workspace/{name}"):
        current = ctx.platform.cluster.get(WORKSPACE, name)
        if current is None or current["metadata"].get("deletionTimestamp"):
            return None
        outcome = reconcile_workspace(ctx.platform, current, ctx.catalogue, _now(), change)
        observe.workspace_reconciled(current, outcome.status, outcome.retry)
        _schedule_expiry(ctx, f"workspace/{name}", current, lambda: refresh_workspace(ctx, name))
        if outcome.patch is not None:
            ctx.platform.cluster.patch_status(WORKSPACE, name, outcome.patch)
        if outcome.clean and outcome.refs is not None and outcome.validated is not None:
            ctx.ledger.record(outcome.refs, outcome.validated)
        else:
            ctx.ledger.forget(name)
        # The Deployments as this run wrote or found them: their watch event then wakes
        # no second reconcile for what this one already reported.
        for (kind, namespace, deployment), obj in outcome.applied.live.items():
            if kind == "Deployment":
                ctx.engine_seen[f"{namespace}/{deployment}"] = availability_signature(obj)
        _post(current, outcome.events)
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


def reconcile(
    name: str,
    memo: kopf.Memo,
    retry: int,
    reason: str | None = None,
    old: Any = None,
    **_: Any,
) -> None:
    """Update and the repair timer: bring the workspace to its spec."""
    outcome = refresh_workspace(memo["ctx"], name, SpecChange.from_kopf(reason, old))
    if outcome is not None and outcome.retry:
        ready = next(c for c in outcome.status["conditions"] if c["type"] == "Ready")
        raise kopf.TemporaryError(f"{ready['reason']}: {ready['message']}", delay=_backoff(retry))


def create_workspace(name: str, memo: kopf.Memo, retry: int, reason: str, **kwargs: Any) -> None:
    """Create and resume: reconcile; a new workspace then tells the grants naming it where
    they stand (on resume they reconcile themselves)."""
    ctx: Context = memo["ctx"]
    try:
        reconcile(name=name, memo=memo, retry=retry, reason=reason, **kwargs)
    finally:
        if reason != "resume":
            _refresh_grants(ctx, ctx.catalogue.grants_of_workspace(name))


async def repair(name: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Timer: nothing when the ledger says the inputs are as the last clean run left them
    and no audit is due (no request at all); else the same reconcile, on threads of its own
    (the event handlers' threads stay free for what a change asks, revocations first); it
    writes only where something drifted."""
    ctx: Context = memo["ctx"]
    if ctx.ledger.unchanged(body, ctx.catalogue, _now()):
        return
    loop = asyncio.get_running_loop()
    # kopf's context (its settings, which posting events reads) goes along to the thread.
    context = contextvars.copy_context()
    outcome = await loop.run_in_executor(ctx.repairs, context.run, refresh_workspace, ctx, name)
    if outcome is not None and outcome.applied.report is not None:
        report = outcome.applied.report
        observe.drift_repaired(report.applied, report.deleted, outcome.external_changes)


def delete_workspace(
    name: str,
    uid: str,
    spec: kopf.Spec,
    body: kopf.Body,
    memo: kopf.Memo,
    retry: int,
    **_: Any,
) -> None:
    """Honour ``deletionPolicy`` outside the cluster (only on this workspace's own
    resources); the namespace goes by garbage collection. Its grants then say so.

    Each system is taken down on its own: one that fails (retried) never keeps another's
    access in place."""
    ctx: Context = memo["ctx"]
    ctx.scheduler.cancel(f"workspace/{name}")
    ctx.ledger.forget(name)
    policy = DeletionPolicy(spec.get("deletionPolicy", DeletionPolicy.RETAIN.value))
    platform = ctx.platform
    steps: list[Callable[[], object]] = []
    if (identity := platform.identity_provider) is not None:
        assert platform.settings.identity is not None
        root = platform.settings.identity.group_root
        steps.append(lambda: identity.teardown(root, name, uid))
    if (store := platform.object_store) is not None:
        members = identity is not None
        steps.append(lambda: teardown_objectstore(store, name, uid, policy, members))
    if (catalogs := platform.catalog_database) is not None:
        steps.append(lambda: teardown_catalogdb(catalogs, name, uid, policy))
    failures: list[HavreError] = []
    with ctx.lock(f"workspace/{name}"):
        try:
            for step in steps:
                try:
                    step()
                except HavreError as exc:
                    failures.append(exc)
        finally:
            if retry == 0:  # the deletion is decided once, whatever the teardown's fate
                record_decisions(platform.audit, [decisions.workspace_deleted(body, _now())])
    if failures:
        first = failures[0]
        raise kopf.TemporaryError(f"{first.reason}: {first}", delay=_backoff(retry)) from first
    _refresh_grants(ctx, ctx.catalogue.grants_of_workspace(name))


def _wake(what: str, action: Callable[[], object]) -> None:
    """Run one wake-up; its failure is logged and never stops the next (each woken object
    is also repaired by its own timer)."""
    try:
        action()
    except Exception:
        _log.exception("refreshing %s failed; its repair timer retries it", what)


def _refresh_grants(ctx: Context, grants: tuple[Any, ...]) -> None:
    for grant in grants:
        _wake(f"grant {grant.name}", functools.partial(refresh_grant, ctx, grant.name, wake=False))


@observe.reconciles("DatasetGrant")
def refresh_grant(
    ctx: Context, name: str, *, wake: bool = True, change: SpecChange | None = None
) -> None:
    """Report a grant's state, schedule its end, and bring its workspace and its dataset
    in line (``wake``)."""
    cluster = ctx.platform.cluster
    with ctx.lock(f"grant/{name}"):
        grant = cluster.get(GRANT, name)
        if grant is None or grant["metadata"].get("deletionTimestamp"):
            return
        confirming = ConfirmingCatalogue(ctx.catalogue, ctx.platform.cluster)
        provider = member_provider(ctx.platform.settings)
        try:
            credentials = holder.settle(ctx.platform, grant, confirming, _now(), provider)
        except Exception:
            # A withdrawal that failed is retried soon, whatever woke it (an expiry too).
            retry = _now() + dt.timedelta(seconds=HOLDER_RETRY_SECONDS)
            ctx.scheduler.at(f"grant/{name}", retry, lambda: refresh_grant(ctx, name))
            raise
        outcome = reconcile_grant(grant, confirming, _now(), provider, credentials)
        observe.grant_reconciled(grant, outcome.status)
        if outcome.patch is not None:
            cluster.patch_status(GRANT, name, outcome.patch)
        _schedule_expiry(ctx, f"grant/{name}", grant, lambda: refresh_grant(ctx, name))
    try:
        if wake and outcome.record.workspace:
            refresh_workspace(ctx, outcome.record.workspace)
    finally:
        # After the workspace applied it, whatever became of that: queuing cannot wait.
        record_decisions(
            ctx.platform.audit,
            grant_decisions(change, grant, grant.get("status") or {}, outcome.status, _now()),
        )
    if wake and outcome.record.dataset:
        _wake(
            f"dataset {outcome.record.dataset}",
            lambda: refresh_dataset(ctx, outcome.record.dataset),
        )


def reconcile_grant_handler(
    name: str, memo: kopf.Memo, reason: str | None = None, old: Any = None, **_: Any
) -> None:
    """Create, update and resume of a DatasetGrant."""
    refresh_grant(memo["ctx"], name, change=SpecChange.from_kopf(reason, old))


def reader_mark_changed(name: str, memo: kopf.Memo, **_: Any) -> None:
    """The hub's mark of who reads a grant changed: issue or withdraw at once."""
    refresh_grant(memo["ctx"], name)


async def delete_grant(name: str, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Withdraw the grant's access at once (the grant, being deleted, no longer counts), on
    the revocation threads: never behind reconciles holding kopf's."""
    ctx: Context = memo["ctx"]
    loop = asyncio.get_running_loop()
    # kopf's context (its settings, which posting events reads) goes along to the thread.
    context = contextvars.copy_context()
    await loop.run_in_executor(ctx.revocations, context.run, _revoke_grant, ctx, name, body)


def _revoke_grant(ctx: Context, name: str, body: kopf.Body) -> None:
    ctx.scheduler.cancel(f"grant/{name}")
    spec = body.get("spec", {})
    try:
        # The local revocation first: it never waits for the federation step below.
        if spec.get("workspace"):
            refresh_workspace(ctx, spec["workspace"])
            observe.grant_deleted(body)
    finally:
        try:
            # At the holder of a remote grant's data: its credentials go (raising keeps the
            # finalizer, and kopf retries, until they are gone), whatever happened above.
            holder.withdraw_deleted(ctx.platform, body, member_provider(ctx.platform.settings))
        finally:
            # After the workspace withdrew the access; queuing never holds it up.
            record_decisions(ctx.platform.audit, [decisions.grant_revoked(body, _now())])
    if spec.get("dataset"):
        _wake(f"dataset {spec['dataset']}", lambda: refresh_dataset(ctx, spec["dataset"]))


def deployment_changed(
    event: kopf.RawEvent, labels: kopf.Labels, memo: kopf.Memo, **_: Any
) -> None:
    """A workspace's Trino Deployment changed availability: report QueryEngine again."""
    ctx: Context = memo["ctx"]
    obj = event["object"]
    key = f"{obj['metadata'].get('namespace')}/{obj['metadata'].get('name')}"
    workspace = labels.get(INSTANCE)
    if event.get("type") == "DELETED":
        ctx.engine_seen.pop(key, None)
    else:
        signature = availability_signature(obj)
        # After a reconcile in flight, which may report this very state (``engine_seen``).
        with ctx.lock(f"workspace/{workspace}"):
            if ctx.engine_seen.get(key) == signature:
                return
            ctx.engine_seen[key] = signature
        if event.get("type") is None:
            return  # the initial listing: the resume handlers reconcile every workspace
    if workspace:
        refresh_workspace(ctx, workspace)


def refresh_dataset(ctx: Context, name: str) -> DatasetOutcome | None:
    """Report a dataset's state (None when it is gone)."""
    with ctx.lock(f"dataset/{name}"):
        dataset = ctx.platform.cluster.get(DATASET, name)
        if dataset is None:
            return None
        outcome = reconcile_dataset(ctx.platform, dataset, ctx.catalogue, _now())
        if outcome.patch is not None:
            ctx.platform.cluster.patch_status(DATASET, name, outcome.patch)
        return outcome


def reconcile_dataset_handler(
    name: str, memo: kopf.Memo, retry: int, reason: str, **_: Any
) -> None:
    """Create, update and resume of a Dataset: its status, then (on a change) the grants
    naming it and their workspaces: its validity decides whether they open anything. On
    resume they reconcile themselves."""
    ctx: Context = memo["ctx"]
    outcome = refresh_dataset(ctx, name)
    if reason != "resume":
        _wake_dataset_grants(ctx, name)
    if outcome is not None and outcome.retry:
        raise kopf.TemporaryError(
            "the dataset's catalog database is not in place", delay=_backoff(retry)
        )


def dataset_event(name: str, type: str, memo: kopf.Memo, **_: Any) -> None:
    """A Dataset is gone (no finalizer: nothing outside is deleted with it): its grants
    and their workspaces lose it at once."""
    if type == "DELETED":
        _wake_dataset_grants(memo["ctx"], name)


def _wake_dataset_grants(ctx: Context, dataset: str) -> None:
    grants = ctx.catalogue.grants_of_dataset(dataset)
    _refresh_grants(ctx, grants)
    for workspace in sorted({g.workspace for g in grants if g.workspace}):
        _wake(f"workspace {workspace}", functools.partial(refresh_workspace, ctx, workspace))


async def access_changed(type: str | None, labels: kopf.Labels, memo: kopf.Memo, **_: Any) -> None:
    """A watched object that carries access or isolation (a workspace's namespace,
    RoleBinding, ClusterRoleBinding or NetworkPolicy) changed or went: the next repair tick
    of its workspace reconciles in full instead of trusting the ledger. The initial listing
    (``type`` None) is not a change."""
    workspace = labels.get(INSTANCE)
    if type is not None and workspace:
        memo["ctx"].ledger.forget(workspace)


async def start(memo: kopf.Memo, **kwargs: Any) -> None:
    """Startup: expiry timers and reads of the indexes run on the operator's event loop."""
    ctx: Context = memo["ctx"]
    loop = asyncio.get_running_loop()
    ctx.scheduler.bind(loop)
    ctx.catalogue.bind(loop, kwargs)
