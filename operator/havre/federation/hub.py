"""The hub's reconcile of one Workspace: read, decide (pure modules), write.

Reads the Workspace, its ClusterResourceBinding (Karmada's placement and the member's
reported status), the members, and the grants and datasets that pin it; writes its
ClusterPropagationPolicy and the hub-owned part of its status. Grant admission reads the
same things to apply the residency rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from havre.api.model import DatasetSpec, WorkspaceSpec
from havre.federation.kinds import (
    CLUSTER,
    CLUSTER_BINDING,
    CLUSTER_POLICY,
    INTERPRETER,
    binding_name,
)
from havre.federation.placement import (
    MemberCluster,
    created_before,
    grant_member,
    member_from_cluster,
    requirements,
)
from havre.federation.render.interpreter import render_interpreter
from havre.federation.render.policy import policy_name, render_placement_policy
from havre.federation.render.propagation import render_dataset_policy, render_grant_policy
from havre.federation.residency import residency_refusal, resident_providers
from havre.federation.status import hub_status, member_state, status_patch
from havre.kube.cluster import FIELD_MANAGER, Cluster, KubeApiError
from havre.kube.kinds import Kind, by_name

WORKSPACE = by_name("Workspace")
DATASET = by_name("Dataset")
GRANT = by_name("DatasetGrant")


def server_side_apply(cluster: Cluster, kind: Kind, manifest: dict[str, Any]) -> dict[str, Any]:
    """Apply a manifest of a kind the core client does not register (Karmada's)."""
    return cluster.request(
        "PATCH",
        kind.item(manifest["metadata"]["name"]),
        query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
        body=manifest,
        content_type="application/apply-patch+yaml",
    )


def install_interpreter(cluster: Cluster) -> None:
    """The ResourceInterpreterCustomization that brings members' status back to the hub."""
    server_side_apply(cluster, INTERPRETER, render_interpreter())


def members(cluster: Cluster) -> dict[str, MemberCluster]:
    return {m.name: m for m in map(member_from_cluster, cluster.list(CLUSTER))}


def datasets(cluster: Cluster) -> dict[str, DatasetSpec]:
    found: dict[str, DatasetSpec] = {}
    for obj in cluster.list(DATASET):
        try:
            found[obj["metadata"]["name"]] = DatasetSpec.model_validate(obj.get("spec", {}))
        except ValidationError:
            continue  # an invalid dataset pins nothing; its own status says why
    return found


def placed_member(binding: dict[str, Any] | None) -> str | None:
    """The member Karmada's scheduler chose, if any."""
    clusters = ((binding or {}).get("spec") or {}).get("clusters") or []
    return str(clusters[0]["name"]) if clusters else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def refresh_workspace(cluster: Cluster, name: str) -> bool:
    """Bring the workspace's policy and hub status in line; True when status was written."""
    ws = cluster.get(WORKSPACE, name)
    if ws is None or ws["metadata"].get("deletionTimestamp"):
        return False
    meta = ws["metadata"]
    try:
        spec = WorkspaceSpec.model_validate(ws.get("spec", {}))
    except ValidationError:
        return False  # the API server checks the schema; nothing to place meanwhile
    resident = resident_providers(ws, cluster.list(GRANT), datasets(cluster))
    req = requirements(spec.placement, resident)
    binding = cluster.get(CLUSTER_BINDING, binding_name(name))
    placed = placed_member(binding)
    server_side_apply(
        cluster, CLUSTER_POLICY, render_placement_policy(name, meta["uid"], req, placed)
    )
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    item = next((i for i in items if i.get("clusterName") == placed), None)
    state = member_state(placed, members(cluster), binding, item, req.describe())
    old = ws.get("status") or {}
    new = hub_status(old, int(meta.get("generation", 0)), placed, state, item, _now())
    if new == old:
        return False
    patch = {"metadata": {"resourceVersion": meta["resourceVersion"]}}
    try:
        cluster.request(
            "PATCH",
            WORKSPACE.item(name) + "/status",
            body={**patch, "status": status_patch(old, new)},
            content_type="application/merge-patch+json",
        )
    except KubeApiError as exc:
        if exc.status == 409:  # Karmada wrote the status meanwhile: the next round redoes it
            return False
        raise
    return True


def check_grant(cluster: Cluster, grant: dict[str, Any]) -> str | None:
    """The residency rule for a grant being created or changed: a refusal, or None."""
    spec = grant.get("spec", {})
    name = grant.get("metadata", {}).get("name", "")
    ws = cluster.get(WORKSPACE, spec.get("workspace", ""))
    known = datasets(cluster)
    dataset = known.get(spec.get("dataset", ""))
    if ws is None or dataset is None:
        return None
    try:
        ws_spec = WorkspaceSpec.model_validate(ws.get("spec", {}))
    except ValidationError:
        return None
    all_members = members(cluster)
    placed = placed_member(cluster.get(CLUSTER_BINDING, binding_name(ws["metadata"]["name"])))
    placed_on = all_members.get(placed) if placed else None
    if placed is not None and placed_on is None:
        placed_on = MemberCluster(placed, {}, ready=False)
    return residency_refusal(
        name,
        spec.get("dataset", ""),
        dataset,
        ws["metadata"]["name"],
        ws_spec,
        placed_on,
        resident_providers(ws, cluster.list(GRANT), known, excluding=name),
        all_members.values(),
    )


def applied_on(binding: dict[str, Any] | None, member: str | None) -> bool:
    """True when Karmada has applied the binding's object on ``member``."""
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    return any(i.get("clusterName") == member and i.get("applied") for i in items)


def refresh_dataset(cluster: Cluster, name: str) -> None:
    """A Dataset goes to the members of the provider holding its data."""
    obj = cluster.get(DATASET, name)
    if obj is None or obj["metadata"].get("deletionTimestamp"):
        return
    try:
        holder = DatasetSpec.model_validate(obj.get("spec", {})).holder
    except ValidationError:
        return
    if holder is not None:
        uid = obj["metadata"]["uid"]
        server_side_apply(cluster, CLUSTER_POLICY, render_dataset_policy(name, uid, holder))


def refresh_grant(cluster: Cluster, name: str) -> None:
    """A grant goes to its workspace's member once the workspace and the dataset are there,
    when that member is at the dataset's provider."""
    grant = cluster.get(GRANT, name)
    if grant is None or grant["metadata"].get("deletionTimestamp"):
        return
    spec = grant.get("spec", {})
    ws = cluster.get(WORKSPACE, spec.get("workspace", ""))
    ds = cluster.get(DATASET, spec.get("dataset", ""))
    if ws is None or ds is None or created_before(grant, ws) or created_before(grant, ds):
        return  # never attaches: the member must not see it either
    try:
        holder = DatasetSpec.model_validate(ds.get("spec", {})).holder
    except ValidationError:
        return
    ws_binding = cluster.get(CLUSTER_BINDING, binding_name(ws["metadata"]["name"]))
    placed = placed_member(ws_binding)
    ds_binding = cluster.get(CLUSTER_BINDING, binding_name(ds["metadata"]["name"], "Dataset"))
    target = grant_member(
        holder,
        members(cluster).get(placed) if placed else None,
        applied_on(ws_binding, placed),
        applied_on(ds_binding, placed),
    )
    if target is not None:
        uid = grant["metadata"]["uid"]
        server_side_apply(cluster, CLUSTER_POLICY, render_grant_policy(name, uid, target))


def policy_of(cluster: Cluster, workspace: str) -> dict[str, Any] | None:
    """The workspace's ClusterPropagationPolicy as the hub holds it (for tests and status)."""
    return cluster.get(CLUSTER_POLICY, policy_name(workspace))
