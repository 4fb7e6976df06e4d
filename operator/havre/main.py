"""Handler registration and kopf settings; nothing else happens here."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from havre import handlers
from havre.api import GROUP, VERSION
from havre.api.names import READER_ANNOTATION
from havre.indexes import INDEXES
from havre.metrics import watch
from havre.settings import Settings


def configure_kopf(settings: kopf.OperatorSettings, **_: Any) -> None:
    # Progress in annotations under our prefix: the status schema is ours and prunes
    # unknown fields, so kopf's default status storage would be lost.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    # Events only for what people need (our own Events, warnings): an idle operator
    # must not write to the API server.
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60
    settings.execution.max_workers = 8
    # A repair tick still running when its workspace is deleted delays the deletion
    # until kopf checks again: check every second, not every minute.
    settings.background.cancellation_polling = 1.0


def register(havre_settings: Settings) -> None:
    """Register every handler on kopf's default registry."""
    kopf.on.startup()(configure_kopf)
    kopf.on.startup()(handlers.start)
    for name, (plural, function) in INDEXES.items():
        kopf.index(GROUP, VERSION, plural, id=name)(function)
    workspaces = (GROUP, VERSION, "workspaces")
    grants = (GROUP, VERSION, "datasetgrants")
    datasets = (GROUP, VERSION, "datasets")
    for decorator in (kopf.on.resume, kopf.on.create):
        decorator(*workspaces)(handlers.create_workspace)
        decorator(*grants)(handlers.reconcile_grant_handler)
        decorator(*datasets)(handlers.reconcile_dataset_handler)
    # The metrics' in-memory view follows every event kopf already receives.
    kopf.on.event(*workspaces)(watch.on_workspace_event)
    kopf.on.event(*grants)(watch.on_grant_event)
    kopf.on.update(*workspaces, field="spec")(handlers.reconcile)
    kopf.on.update(*grants, field="spec")(handlers.reconcile_grant_handler)
    kopf.on.update(*datasets, field="spec")(handlers.reconcile_dataset_handler)
    if havre_settings.federation is not None and havre_settings.federation.provider:
        # The hub's mark says who reads a grant (federation/remote_grant.py); Karmada may
        # deliver it after the grant itself.
        mark = ("metadata", "annotations", READER_ANNOTATION)
        kopf.on.update(*grants, field=mark)(handlers.reader_mark_changed)
    kopf.on.event(*datasets)(handlers.dataset_event)
    # The objects that carry access or isolation, watched where the operator may list them
    # cluster-wide: a change wakes a full reconcile of their workspace at its next repair
    # tick (a deleted default-deny policy does not wait for the next audit).
    managed = {"app.kubernetes.io/managed-by": "havre"}
    kopf.on.event("v1", "namespaces", labels=managed)(handlers.access_changed)
    for plural in ("rolebindings", "clusterrolebindings"):
        rbac = ("rbac.authorization.k8s.io", "v1", plural)
        kopf.on.event(*rbac, labels=managed)(handlers.access_changed)
    kopf.on.event("networking.k8s.io", "v1", "networkpolicies", labels=managed)(
        handlers.access_changed
    )
    kopf.timer(
        *workspaces,
        interval=havre_settings.repair_interval,
        initial_delay=havre_settings.repair_interval,
        idle=None,
    )(handlers.repair)
    if havre_settings.trino is not None:
        # QueryEngine follows the Trino Deployments' availability as it changes.
        managed = {"app.kubernetes.io/managed-by": "havre"}
        kopf.on.event("apps", "v1", "deployments", labels=managed)(handlers.deployment_changed)
    # A finalizer only where external state exists: bucket, policy, catalog database, groups.
    if (
        havre_settings.storage is not None
        or havre_settings.catalog is not None
        or havre_settings.identity is not None
    ):
        kopf.on.delete(*workspaces)(handlers.delete_workspace)
        kopf.on.delete(*grants)(handlers.delete_grant)
