"""Make the cluster hold exactly what was rendered: apply what differs, delete what is no
longer rendered, write nothing when everything already matches.

In two phases, so that removing access never waits on anything else: ``revoke_cluster``
deletes what is no longer rendered (a removed member's RoleBinding) and rewrites the
existing objects that carry access (bindings, the Trino group file) when they differ;
``provision_cluster`` then applies everything else. Each object is written on its own: one
refused object is reported and the others are still written.

Requests go out a few at a time (``IN_FLIGHT``): the listings at once, and the writes in
tiers — the namespace; then every object that names nothing else of ours (quota, limits,
network policies, accounts, roles, Secrets, ConfigMaps, Services); then the bindings (the
API server checks a binding against the role it names); then the Deployments, whose pods
start under the quota, limits and default-deny policies already in place.

Every object is stamped with Havre's labels and an owner reference to its Workspace, so
the garbage collector removes it with the Workspace and the prune finds it by label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from havre.api import names
from havre.errors import HavreError, Pending
from havre.kube.cluster import Cluster
from havre.kube.kinds import Kind, by_name
from havre.pipeline.render.cluster import ClusterPlan, Key, Owner, key_of

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
#: Requests of one reconcile in flight at once.
IN_FLIGHT = 4
#: The write tiers after the first (everything else): see the module docstring.
_FIRST, _LATER = ("Namespace",), (("RoleBinding", "ClusterRoleBinding"), ("Deployment",))
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class ApplyReport:
    """What the cluster answered: objects written, deleted, unchanged, and refused."""

    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Objects the API server refused, with its answer (the rest were still written).
    failed: dict[Key, HavreError] = field(default_factory=dict)


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


def _label(key: Key) -> str:
    return "/".join(k for k in key if k)


#: Kinds listed in the first phase: those that carry access (and the Trino group file).
FIRST_KINDS = ("ClusterRoleBinding", "RoleBinding", "ConfigMap")


def _namespace(cluster: Cluster, namespace: str) -> dict[str, Any] | None:
    ns = cluster.get(by_name("Namespace"), namespace)
    if ns is not None and ns.get("status", {}).get("phase") == "Terminating":
        raise Pending(
            f"namespace {namespace} is still being deleted; the workspace is created once "
            "it is gone",
            reason="NamespaceTerminating",
        )
    return ns


def live_objects(
    cluster: Cluster,
    owner: Owner,
    namespace: str,
    kinds: list[Kind],
    ns: dict[str, Any] | None,
    new_namespace: bool = False,
) -> dict[Key, dict[str, Any]]:
    """What Havre manages for ``owner`` among ``kinds``: one LIST per kind, no per-object
    GET; namespaced kinds only when the namespace (``ns``) exists and was not created by
    this run (``new_namespace``: nothing can be in it yet)."""
    found: dict[Key, dict[str, Any]] = {}
    if ns is not None:
        found[key_of({**ns, "kind": "Namespace"})] = ns
    listed = [k for k in kinds if not k.namespaced or (ns is not None and not new_namespace)]

    def items(kind: Kind) -> list[dict[str, Any]]:
        return cluster.list(kind, namespace if kind.namespaced else None, selector(owner))

    for kind, kind_items in zip(listed, _at_once(items, listed), strict=True):
        for item in kind_items:
            found[key_of({**item, "kind": kind.kind})] = item
    return found


def _at_once(action: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``action`` on each item, ``IN_FLIGHT`` at a time; the results in order (the first
    exception raised, as a loop would)."""
    if len(items) <= 1:
        return [action(i) for i in items]
    workers = min(IN_FLIGHT, len(items))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="havre-apply") as pool:
        return list(pool.map(action, items))


def _prune(
    cluster: Cluster, plan: ClusterPlan, live: dict[Key, dict[str, Any]], report: ApplyReport
) -> None:
    """Delete the managed objects in ``live`` that are no longer rendered."""
    wanted = {key_of(m) for m in plan.manifests}
    for key in list(live):
        kind = key[0]
        if key in wanted or kind == "Namespace" or kind in plan.protected:
            continue
        if plan.prunable is not None and kind not in plan.prunable:
            continue
        try:
            cluster.delete(by_name(kind), key[2], key[1] or None)
        except HavreError as exc:
            report.failed[key] = exc
            continue
        del live[key]
        report.deleted.append(_label(key))


def _role_changed(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    return "roleRef" in desired and desired["roleRef"] != live.get("roleRef")


#: One object's answer: its key, the object as written (None: unchanged or refused), and
#: the refusal.
_Written = tuple[Key, dict[str, Any] | None, HavreError | None]


def _write_one(
    cluster: Cluster, manifest: dict[str, Any], live: dict[Key, dict[str, Any]]
) -> _Written:
    key = key_of(manifest)
    if key in live and contains(manifest, live[key]):
        return key, None, None
    try:
        if key in live and _role_changed(manifest, live[key]):
            # A binding's roleRef is immutable (member bindings went from Roles to the
            # static ClusterRoles): replace it.
            cluster.delete(by_name(key[0]), key[2], key[1] or None)
        return key, cluster.apply(manifest), None
    except HavreError as exc:
        return key, None, exc


def _write(
    cluster: Cluster,
    manifests: list[dict[str, Any]],
    live: dict[Key, dict[str, Any]],
    report: ApplyReport,
) -> None:
    """Write what differs among ``manifests`` at once; the report in their order."""
    for key, written, error in _at_once(lambda m: _write_one(cluster, m, live), manifests):
        if error is not None:
            report.failed[key] = error
        elif written is None:
            report.unchanged += 1
        else:
            live[key] = written
            report.applied.append(_label(key))


def _tiers(manifests: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``manifests`` in write tiers (see the module docstring), each in plan order."""
    rank = {kind: 0 for kind in _FIRST}
    rank.update({kind: i + 2 for i, kinds in enumerate(_LATER) for kind in kinds})
    tiers: list[list[dict[str, Any]]] = [[] for _ in range(len(_LATER) + 2)]
    for manifest in manifests:
        tiers[rank.get(manifest["kind"], 1)].append(manifest)
    return [tier for tier in tiers if tier]


def revoke_cluster(
    cluster: Cluster, plan: ClusterPlan, report: ApplyReport, new_namespace: bool = False
) -> dict[Key, dict[str, Any]]:
    """Phase one: among the kinds that carry access, delete what is no longer rendered and
    rewrite what exists and differs. Returns the live objects for the second phase."""
    namespace = names.namespace(plan.owner.name)
    ns = _namespace(cluster, namespace)
    first = [by_name(k) for k in FIRST_KINDS]
    live = live_objects(cluster, plan.owner, namespace, first, ns, new_namespace)
    _prune(cluster, plan, live, report)
    stamped = [stamp(m, plan.owner) for m in plan.manifests]
    access = [m for m in stamped if key_of(m) in plan.access and key_of(m) in live]
    _write(cluster, access, live, report)
    return live


def provision_cluster(
    cluster: Cluster,
    plan: ClusterPlan,
    live: dict[Key, dict[str, Any]],
    report: ApplyReport,
    new_namespace: bool = False,
) -> None:
    """Phase two: list the other kinds, delete what is no longer rendered, then apply, in
    order, every rendered object that differs from the cluster."""
    namespace = names.namespace(plan.owner.name)
    ns_key = ("Namespace", "", namespace)
    others = [k for k in (*CLUSTER_KINDS, *NAMESPACED_KINDS) if k.kind not in FIRST_KINDS]
    rest = live_objects(cluster, plan.owner, namespace, others, live.get(ns_key), new_namespace)
    _prune(cluster, plan, rest, report)
    live.update(rest)
    for tier in _tiers([stamp(m, plan.owner) for m in plan.manifests]):
        _write(cluster, tier, live, report)
