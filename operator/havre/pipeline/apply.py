"""Make the cluster hold exactly what was rendered: apply what differs, delete what is no
longer rendered, write nothing when everything already matches.

Every object is stamped with Havre's labels and an owner reference to its Workspace, so
the garbage collector removes it with the Workspace and ``prune`` finds it by label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from havre.api import names
from havre.errors import Pending
from havre.kube.cluster import Cluster
from havre.kube.kinds import Kind, by_name, kind_of

MANAGED_BY = "havre"
INSTANCE = "app.kubernetes.io/instance"

#: Kinds a workspace's objects can be; listed by label to find what to prune.
NAMESPACED_KINDS = [
    by_name(k)
    for k in (
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Secret",
        "ConfigMap",
        "Service",
        "Deployment",
    )
]
CLUSTER_KINDS = [by_name(k) for k in ("ClusterRole", "ClusterRoleBinding")]


@dataclass(frozen=True)
class Owner:
    """The object that owns what is applied (a Workspace)."""

    api_version: str
    kind: str
    name: str
    uid: str


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def selector(owner: Owner) -> str:
    return f"app.kubernetes.io/managed-by={MANAGED_BY},{INSTANCE}={owner.name}"


def stamp(manifest: dict[str, Any], owner: Owner) -> dict[str, Any]:
    """A copy of ``manifest`` with Havre's labels and a controller owner reference."""
    meta = dict(manifest["metadata"])
    meta["labels"] = {
        **meta.get("labels", {}),
        "app.kubernetes.io/name": "havre-workspace",
        INSTANCE: owner.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    meta["ownerReferences"] = [
        {
            "apiVersion": owner.api_version,
            "kind": owner.kind,
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    return {**manifest, "metadata": meta}


def contains(desired: Any, live: Any) -> bool:
    """True when every field of ``desired`` has the same value in ``live``."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            k in live and contains(v, live[k]) for k, v in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(desired) == len(live)
            and all(contains(d, v) for d, v in zip(desired, live, strict=True))
        )
    return bool(desired == live)


def _key(kind: Kind, manifest: dict[str, Any]) -> tuple[str, str, str]:
    return (kind.kind, manifest["metadata"].get("namespace", ""), manifest["metadata"]["name"])


def live_objects(
    cluster: Cluster, owner: Owner, namespace: str | None
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Everything Havre manages for ``owner``: one LIST per kind, no per-object GETs."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    namespace_kind = by_name("Namespace")
    ns = cluster.get(namespace_kind, namespace) if namespace else None
    if ns is not None:
        found[_key(namespace_kind, ns)] = ns
    if ns is not None and ns.get("status", {}).get("phase") == "Terminating":
        raise Pending(
            f"namespace {namespace} is still being deleted; the workspace is created once "
            "it is gone",
            reason="NamespaceTerminating",
        )
    kinds = [*CLUSTER_KINDS, *(NAMESPACED_KINDS if ns is not None else [])]
    for kind in kinds:
        ns_arg = namespace if kind.namespaced else None
        for item in cluster.list(kind, ns_arg, selector(owner)):
            found[_key(kind, item)] = item
    return found


def _role_changed(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    return "roleRef" in desired and desired["roleRef"] != live.get("roleRef")


def apply_workspace(cluster: Cluster, owner: Owner, manifests: list[dict[str, Any]]) -> ApplyReport:
    """Apply what differs from the cluster, then delete managed objects not rendered."""
    report = ApplyReport()
    live = live_objects(cluster, owner, names.namespace(owner.name))
    wanted: set[tuple[str, str, str]] = set()
    for manifest in manifests:
        kind = kind_of(manifest)
        stamped = stamp(manifest, owner)
        key = _key(kind, stamped)
        wanted.add(key)
        if key in live and contains(stamped, live[key]):
            report.unchanged += 1
            continue
        if key in live and _role_changed(stamped, live[key]):
            # A binding's roleRef is immutable (e.g. member bindings from Roles, before, to
            # ClusterRoles, now): replace it.
            cluster.delete(kind, key[2], key[1] or None)
        cluster.apply(stamped)
        report.applied.append("/".join(k for k in key if k))
    for key in live:
        if key in wanted or key[0] == "Namespace":
            continue
        cluster.delete(by_name(key[0]), key[2], key[1] or None)
        report.deleted.append("/".join(k for k in key if k))
    return report
