"""One level-based reconcile of a Workspace: dereference → validate → render → apply → status.

Needs clients: ``dereference_workspace`` (reads), ``apply_workspace`` and ``apply_storage``
(writes). Everything else here is pure.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from havre.api import API_VERSION, names
from havre.errors import HavreError
from havre.external.catalogdb import CatalogDatabase
from havre.external.objectstore import ObjectStore
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.apply import ApplyReport, Owner, apply_workspace
from havre.pipeline.catalog import apply_catalog
from havre.pipeline.dereference import (
    ActiveGrant,
    WorkspaceRefs,
    dereference_workspace,
    read_platform_ca,
)
from havre.pipeline.engine_availability import DeploymentState, query_engine_check
from havre.pipeline.operator_access import open_namespace
from havre.pipeline.query_engine import (
    dns_names,
    endpoint,
    query_engine_manifests,
    render_certificate,
    trino_platform,
    workspace_certificate,
)
from havre.pipeline.render.namespace import render_namespace
from havre.pipeline.render.rbac import render_operator_access
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET, render_secret
from havre.pipeline.render.storage import render_storage_plan, render_storage_secret
from havre.pipeline.render.storage_policy import DatasetLocation
from havre.pipeline.render.trino_workloads import COORDINATOR, INTERNAL_SECRET, TLS_SECRET, WORKER
from havre.pipeline.render.workspace import render_workspace
from havre.pipeline.status import Check, conditions_json, merge_conditions, summary
from havre.pipeline.storage import apply_storage
from havre.pipeline.validate import ValidWorkspace, validate_workspace
from havre.settings import Settings

DEPLOYMENT = by_name("Deployment")


@dataclass(frozen=True)
class Platform:
    """The systems a reconcile talks to; ``store`` and ``catalogs`` are None when the
    settings name no object store or catalog database."""

    cluster: Cluster
    settings: Settings
    store: ObjectStore | None = None
    catalogs: CatalogDatabase | None = None
    #: PEM CAs each workspace's Trino trusts (from settings.trino.ca_bundle_file).
    trino_ca_bundle: str | None = None


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What the handler must do after a reconcile: write status, post events, retry."""

    status: dict[str, Any]
    status_changed: bool
    events: list[Event] = field(default_factory=list)
    #: True when a temporary failure (a dependency down) should be retried with backoff.
    retry: bool = False
    report: ApplyReport | None = None
    storage_changes: list[str] = field(default_factory=list)


def _grant_status(grants: tuple[ActiveGrant, ...]) -> list[dict[str, Any]]:
    return [
        {
            "name": g.name,
            "dataset": g.spec.dataset,
            "legalBasis": g.spec.legal_basis,
            "expires": g.spec.expires.isoformat().replace("+00:00", "Z"),
        }
        for g in grants
    ]


@dataclass
class _Run:
    """What one reconcile learns and does, step by step."""

    checks: list[Check] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    retry: bool = False
    report: ApplyReport | None = None

    def step(self, kind: str, action: Callable[[], list[str]], ok: str, message: str) -> bool:
        """Run one external step; a HavreError becomes a failed condition (and a retry
        when temporary) instead of stopping the reconcile."""
        try:
            self.changes += action()
        except HavreError as exc:
            self.checks.append(Check(kind, False, exc.reason, exc.message))
            self.retry = self.retry or not exc.permanent
            return False
        self.checks.append(Check(kind, True, ok, message))
        return True


def _kept(refs: WorkspaceRefs, secret: str, key: str) -> str:
    """A credential already issued to the workspace, or a new one."""
    return refs.kept.get(secret, {}).get(key) or secrets.token_hex(20)


def _provision(
    platform: Platform, ws: ValidWorkspace, uid: str, now: dt.datetime, run: _Run
) -> None:
    """The client-bound part: reads, in-cluster apply, object store, catalog database.

    Credentials are written to the namespace (in the apply) before the external systems
    are given them, so an interruption anywhere converges on the next reconcile.
    """
    settings = platform.settings
    store = platform.store if settings.storage is not None else None
    catalogs = platform.catalogs if settings.catalog is not None else None
    engine = settings.trino is not None
    wanted_secrets = tuple(
        name
        for name, on in (
            (STORAGE_SECRET, store is not None),
            (CATALOG_SECRET, catalogs is not None),
            (TLS_SECRET, engine),
            (INTERNAL_SECRET, engine),
        )
        if on
    )
    owner = Owner(API_VERSION, "Workspace", ws.name, uid)
    try:  # the operator's rights in the namespace come first: it reads and writes with them
        run.changes += open_namespace(
            platform.cluster, owner, render_namespace(ws), render_operator_access(ws, settings)
        )
    except HavreError as exc:
        run.checks.append(Check("Namespace", False, exc.reason, exc.message))
        run.retry = run.retry or not exc.permanent
        return
    refs = dereference_workspace(platform.cluster, ws.name, now, wanted_secrets)
    run.extra["grants"] = _grant_status(refs.grants)
    enabled = not (ws.spec.suspended or ws.expired)
    manifests = render_workspace(ws, settings)
    plan = None
    if store is not None and settings.storage is not None:
        datasets = tuple(DatasetLocation(g.dataset.bucket, g.dataset.prefix) for g in refs.grants)
        secret_key = _kept(refs, STORAGE_SECRET, "AWS_SECRET_ACCESS_KEY")
        plan = render_storage_plan(ws, datasets, secret_key)
        manifests.append(render_storage_secret(ws, plan, settings.storage.url))
        run.extra.setdefault("endpoints", {}).update(
            {"s3": settings.storage.url, "bucket": plan.bucket}
        )
    catalog_password = ""
    if catalogs is not None and settings.catalog is not None:
        catalog_password = _kept(refs, CATALOG_SECRET, "PGPASSWORD")
        manifests.append(
            render_secret(
                ws.name,
                CATALOG_SECRET,
                {
                    "PGHOST": settings.catalog.host,
                    "PGPORT": str(settings.catalog.port),
                    "PGDATABASE": names.database(ws.name),
                    "PGUSER": names.database(ws.name),
                    "PGPASSWORD": catalog_password,
                },
            )
        )

    if settings.trino is not None and not _add_query_engine(
        platform, ws, refs, now, manifests, run
    ):
        return

    def apply_cluster() -> list[str]:
        run.report = apply_workspace(platform.cluster, owner, manifests)
        return []

    namespace_ok = run.step(
        "Namespace",
        apply_cluster,
        "Applied",
        f"Namespace {names.namespace(ws.name)} with quota, network policies and roles is in place.",
    )
    if not namespace_ok:
        return
    state = "enabled" if enabled else "disabled (suspended or expired)"
    if plan is not None and store is not None:
        run.step(
            "Storage",
            lambda: apply_storage(store, plan),
            "Provisioned",
            f"Bucket {plan.bucket} with a {ws.size.storage} quota; credentials {state}; "
            f"{len(refs.grants)} dataset grant(s).",
        )
    if catalogs is not None:
        wanted = {g.spec.dataset for g in refs.grants}
        run.step(
            "Catalog",
            lambda: apply_catalog(
                catalogs, ws.name, catalog_password, enabled=enabled, datasets=wanted
            ),
            "Provisioned",
            f"Catalog database {names.database(ws.name)}; login {state}; read access to "
            f"{len(wanted)} dataset catalog(s).",
        )
    if settings.trino is not None:
        # Last: a store or catalog failure is the cause to report before Trino's state.
        run.checks.append(query_engine_check(_engine_states(platform.cluster, ws.name)))


def _add_query_engine(
    platform: Platform,
    ws: ValidWorkspace,
    refs: WorkspaceRefs,
    now: dt.datetime,
    manifests: list[dict[str, Any]],
    run: _Run,
) -> bool:
    """Append Trino's manifests; False (with a condition) when the platform CA is missing."""
    settings = platform.settings
    assert settings.trino is not None
    cert_names = dns_names(settings, ws.name)
    if settings.trino.cert_manager_issuer is not None:
        certificate = render_certificate(ws, settings.trino.cert_manager_issuer, cert_names)
    else:
        ca = read_platform_ca(platform.cluster, settings.trino.tls_ca_secret)
        if ca is None:
            run.checks.append(
                Check(
                    "QueryEngine",
                    False,
                    "PlatformCAMissing",
                    f"Secret {settings.trino.tls_ca_secret} with tls.crt and tls.key is needed "
                    "to issue the workspace's Trino certificate.",
                )
            )
            return False
        try:
            values = workspace_certificate(ca, refs.kept, cert_names, now)
        except HavreError as exc:
            run.checks.append(Check("QueryEngine", False, exc.reason, exc.message))
            return False
        certificate = render_secret(ws.name, TLS_SECRET, values)
    engine = trino_platform(settings, platform.trino_ca_bundle)
    manifests += query_engine_manifests(ws, refs.grants, engine, certificate, refs.kept)
    run.extra.setdefault("endpoints", {})["trino"] = endpoint(engine, ws.name)
    return True


def _engine_states(cluster: Cluster, workspace: str) -> list[DeploymentState]:
    """The Trino Deployments as the cluster reports them, after this run's apply."""
    namespace = names.namespace(workspace)
    return [
        DeploymentState.from_object(name, cluster.get(DEPLOYMENT, name, namespace))
        for name in (f"trino-{COORDINATOR}", f"trino-{WORKER}")
    ]


def reconcile_workspace(platform: Platform, obj: dict[str, Any], now: dt.datetime) -> Outcome:
    meta = obj["metadata"]
    name: str = meta["name"]
    generation: int = meta.get("generation", 0)
    old_status: dict[str, Any] = obj.get("status") or {}
    run = _Run()
    try:
        ws = validate_workspace(name, obj.get("spec", {}), now)
    except HavreError as exc:
        run.checks.append(Check("Valid", False, exc.reason, exc.message))
    else:
        run.checks.append(Check("Valid", True, "Valid", "The spec is valid."))
        _provision(platform, ws, meta["uid"], now, run)
        run.checks.append(_access_check(ws))
    failing = next((c.reason for c in run.checks if not c.ok), "AsExpected")
    degraded = Check(
        "Degraded",
        run.retry,
        failing if run.retry else "AsExpected",
        "A dependency is unavailable; retrying." if run.retry else "No dependency is failing.",
    )
    stamp = now.replace(microsecond=0)
    conditions = merge_conditions(
        old_status.get("conditions", []),
        [summary(run.checks), *run.checks, degraded],
        generation,
        stamp,
    )
    status = {
        **old_status,
        **run.extra,
        "observedGeneration": generation,
        "conditions": conditions_json(conditions),
        "namespace": names.namespace(name),
    }
    return Outcome(
        status=status,
        status_changed=status != old_status,
        events=_events(old_status, conditions, run.report, run.changes),
        retry=run.retry,
        report=run.report,
        storage_changes=run.changes,
    )


def _access_check(ws: ValidWorkspace) -> Check:
    expires = ws.spec.expires.isoformat()
    if ws.expired:
        return Check(
            "Access",
            False,
            "Expired",
            f"The authorisation ended at {expires}: members' access was removed; data is kept.",
        )
    if ws.spec.suspended:
        return Check("Access", False, "Suspended", "The workspace is suspended; data is kept.")
    return Check("Access", True, "Granted", f"{len(ws.members)} member(s) until {expires}.")


def _events(
    old_status: dict[str, Any],
    conditions: list[Any],
    report: ApplyReport | None,
    storage_changes: list[str],
) -> list[Event]:
    """An Event when Ready changes (same reason as the condition), and one per repair."""
    events: list[Event] = []
    old_ready = next((c for c in old_status.get("conditions", []) if c["type"] == "Ready"), None)
    ready = next(c for c in conditions if c.type == "Ready")
    if old_ready is None or (old_ready["status"], old_ready["reason"]) != (
        ready.status.value,
        ready.reason,
    ):
        kind = "Normal" if ready.status.value == "True" else "Warning"
        events.append(Event(kind, ready.reason, ready.message))
        return events
    changed = [*storage_changes]
    if report is not None:
        changed += [*report.applied, *(f"-{d}" for d in report.deleted)]
    if changed:
        events.append(Event("Normal", "Reconciled", f"Updated: {', '.join(changed)}"[:1000]))
    return events
