"""Step 1, dereference: every read a reconcile needs besides the Workspace itself.

Needs a client. From memory (the ``Catalogue``): the grants naming the workspace and the
datasets they name, with the other datasets of their buckets, and its size profile. From
the API server: the credentials already issued to the workspace (GETs in its namespace,
never a LIST) and the platform CA. Then the secret material (``material.py``). What it
returns is plain, frozen data for the pure steps.

One write comes first: the operator holds no cluster-wide right inside namespaces, so it
opens the workspace's namespace (the namespace and the operator's own RoleBinding there,
``operator_access.open_namespace``) before reading in it — only for a workspace that is
approved or was provisioned before: a request creates nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from havre.api import API_VERSION, names
from havre.api.model import Size
from havre.errors import HavreError
from havre.external.pki import CertificateAuthority
from havre.federation.member import member_provider
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.material import Material, certificate, prepare_material
from havre.pipeline.operator_access import open_namespace
from havre.pipeline.platform import Platform
from havre.pipeline.records import (
    Catalogue,
    DatasetRecord,
    GrantRecord,
    WorkspaceRecord,
    timestamp,
)
from havre.pipeline.render.cluster import Owner
from havre.pipeline.render.namespace import render_namespace_of
from havre.pipeline.render.rbac import render_operator_binding
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET, decode_secret
from havre.pipeline.render.trino import dns_names
from havre.pipeline.render.trino_workloads import INTERNAL_SECRET, TLS_SECRET

SECRET = by_name("Secret")


@dataclass(frozen=True)
class WorkspaceObject:
    """The Workspace as read: identity, spec as written, status as last reported."""

    name: str
    uid: str
    created: dt.datetime
    generation: int
    spec: Mapping[str, Any]
    status: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> WorkspaceObject:
        meta = body["metadata"]
        return cls(
            name=meta["name"],
            uid=meta.get("uid", ""),
            created=timestamp(meta.get("creationTimestamp")),
            generation=int(meta.get("generation", 0)),
            spec=body.get("spec") or {},
            status=body.get("status") or {},
        )

    @property
    def record(self) -> WorkspaceRecord:
        return WorkspaceRecord(self.name, self.uid, self.created)


@dataclass(frozen=True)
class Refs:
    workspace: WorkspaceObject
    #: Every grant naming the workspace, in force or not (validate decides), by name.
    grants: tuple[GrantRecord, ...]
    #: The datasets those grants name, by name (absent: no such dataset).
    datasets: Mapping[str, DatasetRecord]
    #: The datasets of each of their buckets, to check that locations do not overlap.
    peers: Mapping[str, tuple[DatasetRecord, ...]]
    material: Material
    #: The sizes of the SizeProfile the spec names; None when there is no such profile.
    profile: Size | None = field(default_factory=Size)
    #: Whether the workspace's namespace exists (read only while it is not approved: a
    #: request never approved has nothing outside the Workspace object).
    provisioned: bool = True
    #: What opening the namespace created or repaired (the namespace, the operator's
    #: RoleBinding), as changes to report.
    opened: tuple[str, ...] = ()
    #: This member's provider in a federation (None: a single cluster): datasets held at
    #: or resident at another provider are never opened here.
    provider: str | None = None

    @property
    def new_namespace(self) -> bool:
        """Whether this run created the namespace: nothing of ours can be in it yet."""
        return any(change.startswith("Namespace/") for change in self.opened)


def read_platform_ca(cluster: Cluster, ref: str) -> CertificateAuthority | None:
    """The CA Secret ``namespace/name`` (tls.crt, tls.key), or None when it is missing."""
    namespace, name = ref.split("/", 1)
    data = decode_secret(cluster.get(SECRET, name, namespace))
    if "tls.crt" not in data or "tls.key" not in data:
        return None
    return CertificateAuthority(data["tls.crt"].encode(), data["tls.key"].encode())


def _wanted_secrets(platform: Platform) -> tuple[str, ...]:
    engine = platform.settings.trino is not None
    return tuple(
        name
        for name, on in (
            (STORAGE_SECRET, platform.object_store is not None),
            (CATALOG_SECRET, platform.catalog_database is not None),
            (TLS_SECRET, engine),
            (INTERNAL_SECRET, engine),
        )
        if on
    )


def _material(
    platform: Platform, workspace: WorkspaceObject, now: dt.datetime
) -> tuple[Material, tuple[str, ...]]:
    """Kept-or-new material, read once the namespace is open (and what opening changed);
    when the API server cannot say what is kept, none (a new credential then would replace
    one that works)."""
    name = workspace.name
    owner = Owner(API_VERSION, "Workspace", name, workspace.uid)
    settings = platform.settings
    try:
        opened = open_namespace(
            platform.cluster,
            owner,
            render_namespace_of(name),
            render_operator_binding(name, settings),
        )
        new = any(change.startswith("Namespace/") for change in opened)
        return _read_material(platform, name, now, new), tuple(opened)
    except HavreError as exc:
        return Material.unavailable(exc.reason, exc.message), ()


def _read_material(
    platform: Platform, name: str, now: dt.datetime, new_namespace: bool = False
) -> Material:
    """What is kept in the namespace (nothing to read in one this run created)."""
    namespace = names.namespace(name)
    trino = platform.settings.trino
    wanted = () if new_namespace else _wanted_secrets(platform)
    issue = trino is not None and trino.cert_manager_issuer is None
    # The GETs at once: a reconcile (a revocation among them) waits for the slowest only.
    with ThreadPoolExecutor(max_workers=len(wanted) + 1) as pool:
        reads = {s: pool.submit(platform.cluster.get, SECRET, s, namespace) for s in wanted}
        ca_read = (
            pool.submit(read_platform_ca, platform.cluster, trino.tls_ca_secret)
            if issue and trino is not None
            else None
        )
    kept = {secret: decode_secret(read.result()) for secret, read in reads.items()}
    if trino is None or ca_read is None:
        return prepare_material(kept)
    ca = ca_read.result()
    cert = certificate(kept, ca, trino.tls_ca_secret, dns_names(platform.settings, name), now)
    return prepare_material(kept, cert)


def recall(
    body: Mapping[str, Any],
    catalogue: Catalogue,
    material: Material,
    provisioned: bool = True,
    opened: tuple[str, ...] = (),
    provider: str | None = None,
) -> Refs:
    """The reads from memory (no request): the workspace as given, its grants, their
    datasets, its size profile; with ``material`` and ``provisioned`` as already known."""
    workspace = WorkspaceObject.from_body(body)
    grants = tuple(sorted(catalogue.grants_of_workspace(workspace.name), key=lambda g: g.name))
    datasets = {g.dataset: d for g in grants if (d := catalogue.dataset(g.dataset)) is not None}
    peers = {d.bucket: catalogue.datasets_in_bucket(d.bucket) for d in datasets.values()}
    profile = catalogue.size_profile(str(workspace.spec.get("sizeProfile") or "standard"))
    return Refs(
        workspace=workspace,
        grants=grants,
        datasets=datasets,
        peers=peers,
        material=material,
        profile=profile.size if profile is not None else None,
        provisioned=provisioned,
        opened=opened,
        provider=provider,
    )


def dereference(
    platform: Platform, body: Mapping[str, Any], catalogue: Catalogue, now: dt.datetime
) -> Refs:
    """What validate and render need: records from memory, kept material from the API."""
    workspace = WorkspaceObject.from_body(body)
    approved = (workspace.spec.get("approval") or {}).get("decision") == "Approved"
    provisioned = approved or _namespace_exists(platform, workspace.name)
    material, opened = (
        _material(platform, workspace, now) if provisioned else (prepare_material({}), ())
    )
    return recall(
        body, catalogue, material, provisioned, opened, member_provider(platform.settings)
    )


def _namespace_exists(platform: Platform, name: str) -> bool:
    """Whether anything was provisioned; when the API server cannot say, assume so (what
    exists is then held suspended rather than left as it was)."""
    try:
        return platform.cluster.get(by_name("Namespace"), names.namespace(name)) is not None
    except HavreError:
        return True
