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
from havre.federation.hub_remote import mark, propagate_remote
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
from havre.federation.status import (
    MemberState,
    awaiting_approval,
    grant_status,
    hub_status,
    member_report,
    member_state,
    status_patch,
)
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
    # A request is placed only once approved: grants made while it waits still pin it to
    # their data's provider, and no member holds anything of it. A placed workspace stays
    # placed whatever its approval becomes (its member holds it suspended, data kept).
    waiting = None if placed is not None else awaiting_approval(spec)
    if waiting is None:
        server_side_apply(
            cluster, CLUSTER_POLICY, render_placement_policy(name, meta["uid"], req, placed)
        )
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    item = next((i for i in items if i.get("clusterName") == placed), None)
    state = waiting or member_state(placed, members(cluster), binding, item, req.describe())
    old = ws.get("status") or {}
    new = hub_status(old, int(meta.get("generation", 0)), placed, state, item, _now())
    if new == old:
        return False
    return _write_status(cluster, WORKSPACE, meta, status_patch(old, new))


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
    when that member is at the dataset's provider; its hub status says where it stands."""
    grant = cluster.get(GRANT, name)
    if grant is None or grant["metadata"].get("deletionTimestamp"):
        return
    state = _propagate_grant(cluster, grant)
    meta = grant["metadata"]
    old = grant.get("status") or {}
    new = grant_status(old, int(meta.get("generation", 0)), state, _now())
    if new != old:
        _write_status(cluster, GRANT, meta, status_patch(old, new))


def _propagate_grant(cluster: Cluster, grant: dict[str, Any]) -> MemberState:
    spec = grant.get("spec", {})
    workspace, dataset = spec.get("workspace", ""), spec.get("dataset", "")
    ws, ds = cluster.get(WORKSPACE, workspace), cluster.get(DATASET, dataset)
    # A grant older than its workspace or dataset never attaches; the member never sees it.
    if ws is None or created_before(grant, ws):
        return MemberState(False, "WorkspaceNotFound", f"No workspace {workspace} to attach to.")
    if ds is None or created_before(grant, ds):
        return MemberState(False, "DatasetNotFound", f"No dataset {dataset} to attach to.")
    try:
        ds_spec = DatasetSpec.model_validate(ds.get("spec", {}))
    except ValidationError:
        return MemberState(False, "InvalidDataset", f"Dataset {dataset} is invalid.")
    holder = ds_spec.holder
    ws_binding = cluster.get(CLUSTER_BINDING, binding_name(workspace))
    placed = placed_member(ws_binding)
    known = members(cluster)
    member = known.get(placed) if placed else None
    if holder is None:
        return MemberState(False, "ProviderUnknown", f"Dataset {dataset} names no provider.")
    if member is None:
        return MemberState(False, "Placing", f"Workspace {workspace} is not placed yet.")
    if member.provider != holder:
        return propagate_remote(
            cluster,
            grant,
            dataset,
            ds_spec,
            member,
            list(known.values()),
            lambda policy: server_side_apply(cluster, CLUSTER_POLICY, policy),
        )
    mark(cluster, grant, None)  # read by its own member: no mark
    ds_binding = cluster.get(CLUSTER_BINDING, binding_name(dataset, "Dataset"))
    target = grant_member(
        holder, member, applied_on(ws_binding, placed), applied_on(ds_binding, placed)
    )
    if target is None:
        return MemberState(
            False, "Propagating", f"Waiting for {workspace} and {dataset} on member {placed}."
        )
    uid = grant["metadata"]["uid"]
    server_side_apply(
        cluster, CLUSTER_POLICY, render_grant_policy(grant["metadata"]["name"], uid, target)
    )
    binding = cluster.get(CLUSTER_BINDING, binding_name(grant["metadata"]["name"], "DatasetGrant"))
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    return member_report(next((i for i in items if i.get("clusterName") == target), None), target)


def _write_status(
    cluster: Cluster, kind: Kind, meta: dict[str, Any], patch: dict[str, Any]
) -> bool:
    """Merge-patch ``status`` if the object is still at the version read; False on a conflict
    (another writer was faster: the next round recomputes)."""
    body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": patch}
    try:
        cluster.request(
            "PATCH",
            kind.item(meta["name"]) + "/status",
            body=body,
            content_type="application/merge-patch+json",
        )
    except KubeApiError as exc:
        if exc.status == 409:
            return False
        raise
    return True


def policy_of(cluster: Cluster, workspace: str) -> dict[str, Any] | None:
    """The workspace's ClusterPropagationPolicy as the hub holds it (for tests and status)."""
    return cluster.get(CLUSTER_POLICY, policy_name(workspace))
