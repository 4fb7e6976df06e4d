"""Step 3, render (pure): everything the workspace should be, in the cluster and outside it.

From the validated workspace and its secret material only. A workspace whose spec cannot
be read renders its access withdrawn: member bindings removed, object-store user disabled
and policy narrowed to its own bucket, catalog login refused and dataset grants revoked,
members taken out of its identity-provider groups and their own object-store policies
deleted; nothing is created and its data is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from havre.api import API_VERSION
from havre.pipeline.conditions import Check
from havre.pipeline.material import Material
from havre.pipeline.render.access_route import external_url, render_access_route
from havre.pipeline.render.audit import render_audit_secret
from havre.pipeline.render.catalogdb import (
    CatalogPlan,
    render_catalog_lockdown,
    render_catalog_plan,
    render_catalog_secret,
)
from havre.pipeline.render.cluster import ClusterPlan, Owner, key_of
from havre.pipeline.render.identity import (
    IdentityPlan,
    render_identity_lockdown,
    render_identity_plan,
)
from havre.pipeline.render.member_storage import render_member_lockdown, render_member_policies
from havre.pipeline.render.namespace import render_namespace_of
from havre.pipeline.render.objectstore import (
    ObjectStorePlan,
    render_lockdown_plan,
    render_objectstore_plan,
    render_objectstore_secret,
)
from havre.pipeline.render.objectstore_policy import DatasetLocation
from havre.pipeline.render.rbac import render_operator_binding
from havre.pipeline.render.secrets import render_secret
from havre.pipeline.render.trino import (
    dns_names,
    endpoint,
    render_certificate,
    render_trino_manifests,
    trino_platform,
)
from havre.pipeline.render.trino_workloads import TLS_SECRET
from havre.pipeline.render.workspace import render_workspace
from havre.pipeline.validate import InvalidWorkspace, ValidWorkspace
from havre.settings import Settings

#: Objects whose change adds or removes someone's access: rewritten before anything else.
ACCESS_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
ACCESS_CONFIG_MAP = "trino-access"  # the Trino group file and rules
#: What is written when nothing sized or secret can be: the namespace and who may act in it.
REMOVALS_ONLY_KINDS = frozenset({"Namespace", "Role", "ClusterRole", *ACCESS_KINDS})
#: What a part that could not be rendered leaves as it is, rather than deleting it.
QUERY_ENGINE_KINDS = frozenset({"ConfigMap", "Service", "Deployment", "Secret", "Certificate"})


@dataclass(frozen=True)
class Desired:
    """The render step's output: plans for each system, endpoints, and render problems."""

    cluster: ClusterPlan | None
    objectstore: ObjectStorePlan | None = None
    catalogdb: CatalogPlan | None = None
    #: The workspace's groups in the identity provider (None: no identity provider).
    identity: IdentityPlan | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    #: Parts rendered or not (``QueryEngine``, ``Credentials``), as conditions.
    checks: tuple[Check, ...] = ()
    #: A part could not be rendered for a temporary reason: retry with backoff.
    retry: bool = False
    #: The route from outside the cluster to Trino (``access.route``), applied on its own
    #: because its kind may not be served; None: leave routes as they are.
    routes: tuple[dict[str, Any], ...] | None = None


def _owner(name: str, uid: str) -> Owner:
    return Owner(API_VERSION, "Workspace", name, uid)


def _access_keys(manifests: list[dict[str, Any]]) -> frozenset[tuple[str, str, str]]:
    return frozenset(
        key_of(m)
        for m in manifests
        if m["kind"] in ACCESS_KINDS
        or (m["kind"] == "ConfigMap" and m["metadata"]["name"] == ACCESS_CONFIG_MAP)
    )


def _query_engine(
    ws: ValidWorkspace, material: Material, settings: Settings, ca_bundle: str | None
) -> tuple[list[dict[str, Any]], Check, str | None]:
    """Trino's manifests, its condition, and its endpoint (None when not rendered)."""
    trino = settings.trino
    assert trino is not None
    if trino.cert_manager_issuer is not None:
        names_ = dns_names(settings, ws.name)
        certificate = render_certificate(ws, trino.cert_manager_issuer, names_)
        how = f"a cert-manager Certificate from {trino.cert_manager_issuer}"
    elif material.trino_certificate is not None:
        certificate = render_secret(
            ws.name, TLS_SECRET, {"tls-combined.pem": material.trino_certificate}
        )
        how = "a certificate from the platform CA"
    else:
        assert material.problem is not None
        return [], material.problem, None
    platform = trino_platform(settings, ca_bundle)
    manifests = render_trino_manifests(ws, platform, certificate, material.trino_shared_secret)
    if settings.audit is not None:
        manifests.append(render_audit_secret(ws, settings.audit.key.get_secret_value()))
    nodes = ws.size.workers + 1 if ws.enabled else 0
    check = Check(
        "QueryEngine",
        True,
        "Configured",
        f"Trino with {nodes} node(s) and {len(ws.grants) + 2} catalog(s); HTTPS with {how}.",
    )
    return manifests, check, endpoint(platform, ws.name)


def render_desired(
    validated: ValidWorkspace | InvalidWorkspace,
    material: Material,
    settings: Settings,
    trino_ca_bundle: str | None = None,
) -> Desired:
    """Plans for the cluster, the object store and the catalog database."""
    if isinstance(validated, InvalidWorkspace):
        return render_lockdown(validated, settings)
    if not validated.provisioned:
        return Desired(cluster=None)  # a request: nothing outside the Workspace object
    if not validated.size_known:
        return render_removals_only(validated, settings)
    if not material.readable:
        assert material.unreadable is not None
        return render_removals_only(validated, settings, material.unreadable)
    ws = validated
    manifests = render_workspace(ws, settings)
    endpoints: dict[str, str] = {}
    checks: list[Check] = []
    objectstore = catalogdb = None
    if settings.storage is not None:
        locations = tuple(DatasetLocation(g.bucket, g.prefix) for g in ws.grants)
        objectstore = _with_members(
            render_objectstore_plan(ws, locations, material.storage_secret_key), ws, settings
        )
        manifests.append(render_objectstore_secret(ws, objectstore, settings.storage.url))
        endpoints |= {"s3": settings.storage.url, "bucket": objectstore.bucket}
    if settings.catalog is not None:
        catalogdb = render_catalog_plan(ws, material.catalog_password)
        manifests.append(
            render_catalog_secret(
                ws, settings.catalog.host, settings.catalog.port, material.catalog_password
            )
        )
    protected: frozenset[str] = frozenset()
    routes: tuple[dict[str, Any], ...] | None = None
    if settings.trino is not None:
        trino, check, url = _query_engine(ws, material, settings, trino_ca_bundle)
        manifests += trino
        checks.append(check)
        if url is None:
            protected = QUERY_ENGINE_KINDS
        else:
            endpoints["trino"] = url
            routes = tuple(render_access_route(ws, settings.access, settings.trino_port))
            if outside := external_url(settings.access, ws.name):
                endpoints["trinoExternal"] = outside
    cluster = ClusterPlan(
        owner=_owner(ws.name, ws.uid),
        manifests=tuple(manifests),
        access=_access_keys(manifests),
        protected=protected,
    )
    return Desired(
        cluster,
        objectstore,
        catalogdb,
        _identity(ws, settings),
        endpoints,
        tuple(checks),
        routes=routes,
    )


def _identity(ws: ValidWorkspace, settings: Settings) -> IdentityPlan | None:
    if settings.identity is None:
        return None
    return render_identity_plan(ws, settings.identity.group_root)


def _with_members(plan: ObjectStorePlan, ws: ValidWorkspace, settings: Settings) -> ObjectStorePlan:
    """The plan with the members' own policies, when they sign in through the identity
    provider (the same grants as the workspace's policy)."""
    if settings.identity is None:
        return plan
    locations = tuple(DatasetLocation(g.bucket, g.prefix) for g in ws.grants)
    return replace(plan, member_policies=render_member_policies(ws, locations))


def render_removals_only(
    ws: ValidWorkspace, settings: Settings, problem: Check | None = None
) -> Desired:
    """What can be right without sizes or credentials: the namespace and who may act in it;
    removals at the object store and the catalog database. Nothing sized is written,
    nothing is handed out, nothing but bindings is deleted. ``problem``: why (temporary)."""
    manifests = [m for m in render_workspace(ws, settings) if m["kind"] in REMOVALS_ONLY_KINDS]
    locations = tuple(DatasetLocation(g.bucket, g.prefix) for g in ws.grants)
    objectstore = (
        replace(
            _with_members(render_objectstore_plan(ws, locations, ""), ws, settings),
            provision=False,
        )
        if settings.storage is not None
        else None
    )
    catalogdb = (
        replace(render_catalog_plan(ws, ""), provision=False)
        if settings.catalog is not None
        else None
    )
    return Desired(
        ClusterPlan(
            owner=_owner(ws.name, ws.uid),
            manifests=tuple(manifests),
            access=_access_keys(manifests),
            prunable=ACCESS_KINDS,
        ),
        objectstore,
        catalogdb,
        _identity(ws, settings),
        checks=(problem,) if problem else (),
        retry=problem is not None,
    )


def render_lockdown(invalid: InvalidWorkspace, settings: Settings) -> Desired:
    """Access withdrawn everywhere, nothing created, data kept."""
    # The operator's own binding stays: it is how the operator acts in the namespace.
    kept = (render_namespace_of(invalid.name), render_operator_binding(invalid.name, settings))
    return Desired(
        cluster=ClusterPlan(
            owner=_owner(invalid.name, invalid.uid),
            manifests=kept,
            prunable=ACCESS_KINDS,
        ),
        objectstore=(
            replace(
                render_lockdown_plan(invalid.name, invalid.uid),
                member_policies=render_member_lockdown(invalid.name) if settings.identity else (),
            )
            if settings.storage
            else None
        ),
        catalogdb=(
            render_catalog_lockdown(invalid.name, invalid.uid) if settings.catalog else None
        ),
        identity=(
            render_identity_lockdown(invalid.name, invalid.uid, settings.identity.group_root)
            if settings.identity
            else None
        ),
    )
