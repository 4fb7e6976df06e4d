"""Step 4, apply: make the cluster, the object store, the catalog database and the identity
provider hold the plans, and return what each answered.

Fail closed by construction. Two phases, each system on its own:

1. removals, in the four systems at once — the cluster deletes what is no longer rendered
   and rewrites bindings and the group file; the object store disables a user whose access
   ended and narrows its policy and the members' own policies; the catalog database
   refuses login and revokes datasets no longer granted; the identity provider takes
   whoever lost access out of the workspace's groups;
2. provisioning — everything else: namespace, workloads, bucket, user, database, new grants,
   groups and their new members (the object store and the catalog database at once).

A system's failure (MinIO down, a refused object, PostgreSQL or Keycloak unreachable) is
caught at its own boundary and reported as its condition: it never stops another system's
removals, nor its own removals of other items. Phase two of a system runs only if its
phase one did; the external credentials are handed out only once their Secret is in the
namespace, so an interruption anywhere converges on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from havre.errors import HavreError, Pending
from havre.pipeline.access import apply_access_route
from havre.pipeline.apply_catalogdb import provision_catalogdb, revoke_catalogdb
from havre.pipeline.apply_cluster import ApplyReport, provision_cluster, revoke_cluster
from havre.pipeline.apply_identity import IdentityClaim
from havre.pipeline.apply_objectstore import provision_objectstore, revoke_objectstore
from havre.pipeline.platform import Platform
from havre.pipeline.render.cluster import ClusterPlan, Key, key_of
from havre.pipeline.render.desired import Desired
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET

T = TypeVar("T")


@dataclass(frozen=True)
class SystemResult:
    """One system's answer: what changed, and the first error (None when all went well)."""

    changes: tuple[str, ...] = ()
    error: HavreError | None = None
    #: False when the system was not asked anything (not configured, or not provisioned).
    ran: bool = True


@dataclass(frozen=True)
class Applied:
    """What the servers answered, per system (condition type → result)."""

    systems: dict[str, SystemResult] = field(default_factory=dict)
    report: ApplyReport | None = None
    #: The live objects after the apply (Deployments with their status, for the status step).
    live: dict[Key, dict[str, Any]] = field(default_factory=dict)

    @property
    def changes(self) -> list[str]:
        return [c for r in self.systems.values() for c in r.changes]


def _attempt(action: Callable[[], T]) -> tuple[T | None, HavreError | None]:
    try:
        return action(), None
    except HavreError as exc:
        return None, exc


def _secret_in_place(cluster: ClusterPlan, report: ApplyReport | None, name: str) -> bool:
    """Whether the Secret holding a system's credential was applied (or already matched)."""
    if report is None:
        return False
    keys = [key_of(m) for m in cluster.manifests if m["kind"] == "Secret"]
    return any(k[2] == name and k not in report.failed for k in keys)


def _waiting(secret: str) -> HavreError:
    return Pending(
        f"the Secret {secret} holding the credentials is not in the namespace yet; they are "
        "handed out once it is",
        reason="CredentialsPending",
    )


def apply_desired(platform: Platform, desired: Desired, *, new_namespace: bool = False) -> Applied:
    """Run both phases on every configured system; see the module docstring.
    ``new_namespace``: this run created the namespace (nothing to list in it)."""
    cluster_plan = desired.cluster
    if cluster_plan is None:
        return Applied()  # nothing exists outside the Workspace object
    store, catalogs = platform.object_store, platform.catalog_database
    store_plan, catalog_plan = desired.objectstore, desired.catalogdb
    identity, identity_plan = platform.identity_provider, desired.identity
    report = ApplyReport()
    store_changes: list[str] = []
    catalog_changes: list[str] = []
    catalog_errors: list[HavreError] = []
    identity_changes: list[str] = []

    # Phase one: removals, each system on its own and all at once, so that no system's
    # latency delays another's revocation.
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="havre-revoke") as pool:
        cluster_future = pool.submit(
            _attempt, lambda: revoke_cluster(platform.cluster, cluster_plan, report, new_namespace)
        )
        store_future = (
            pool.submit(_attempt, lambda: revoke_objectstore(store, store_plan, store_changes))
            if store is not None and store_plan is not None
            else None
        )
        catalog_future = (
            pool.submit(
                _attempt,
                lambda: revoke_catalogdb(catalogs, catalog_plan, catalog_changes, catalog_errors),
            )
            if catalogs is not None and catalog_plan is not None
            else None
        )
        identity_future = (
            pool.submit(_attempt, lambda: identity.revoke(identity_plan, identity_changes))
            if identity is not None and identity_plan is not None
            else None
        )
    live, cluster_error = cluster_future.result()
    store_claim, store_error = store_future.result() if store_future else (None, None)
    catalog_claim, catalog_error = catalog_future.result() if catalog_future else (None, None)
    identity_claim: IdentityClaim | None
    identity_claim, identity_error = identity_future.result() if identity_future else (None, None)

    # Phase two: what is granted, where phase one succeeded.
    route_changes: tuple[str, ...] = ()
    route_error: HavreError | None = None
    if live is not None:
        provision_cluster(platform.cluster, cluster_plan, live, report, new_namespace)
        routes = desired.routes
        if routes is not None:
            changed, route_error = _attempt(
                lambda: apply_access_route(
                    platform.cluster, cluster_plan.owner, platform.settings.access, list(routes)
                )
            )
            route_changes = tuple(changed or ())
    in_place = report if live is not None else None

    def provision_store() -> HavreError | None:
        assert store is not None and store_plan is not None and store_claim is not None
        if not _secret_in_place(cluster_plan, in_place, STORAGE_SECRET) and store_plan.provision:
            return _waiting(STORAGE_SECRET)
        claimed = store_claim
        return _attempt(lambda: provision_objectstore(store, store_plan, claimed, store_changes))[1]

    def provision_catalog() -> HavreError | None:
        assert catalogs is not None and catalog_plan is not None and catalog_claim is not None
        if not _secret_in_place(cluster_plan, in_place, CATALOG_SECRET) and catalog_plan.provision:
            return _waiting(CATALOG_SECRET)
        claimed = catalog_claim
        return _attempt(
            lambda: provision_catalogdb(
                catalogs, catalog_plan, claimed, catalog_changes, catalog_errors
            )
        )[1]

    # The object store and the catalog database at once: neither waits for the other.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="havre-provision") as pool:
        store_done = (
            pool.submit(provision_store)
            if store is not None and store_plan is not None and store_claim is not None
            else None
        )
        catalog_done = (
            pool.submit(provision_catalog)
            if catalogs is not None and catalog_plan is not None and catalog_claim is not None
            else None
        )
    if store_done is not None:
        store_error = store_done.result()
    if catalog_done is not None:
        catalog_error = catalog_done.result()
    if identity is not None and identity_plan is not None and identity_claim is not None:
        iclaimed = identity_claim
        # Group members get no credential of ours: nothing to wait for.
        _, identity_error = _attempt(
            lambda: identity.provision(identity_plan, iclaimed, identity_changes)
        )

    systems = {
        "Namespace": SystemResult(
            (*report.applied, *(f"-{d}" for d in report.deleted), *route_changes),
            cluster_error or next(iter(report.failed.values()), None) or route_error,
        )
    }
    if store_plan is not None:
        systems["Storage"] = SystemResult(tuple(store_changes), store_error, store is not None)
    if catalog_plan is not None:
        systems["Catalog"] = SystemResult(
            tuple(catalog_changes),
            catalog_error or next(iter(catalog_errors), None),
            catalogs is not None,
        )
    if identity_plan is not None:
        systems["Identity"] = SystemResult(
            tuple(identity_changes), identity_error, identity is not None
        )
    return Applied(systems, report, live or {})
