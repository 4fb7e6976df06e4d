"""The ClusterPropagationPolicy that puts one Workspace on exactly one member (pure).

Before placement, the affinity is the workspace's requirements as a label selector on the
members. Once Karmada has chosen a member, the policy names that member only: a member
losing a label, a new member joining or a taint never reschedules the workspace, so its
data never moves (Karmada's failover is off as well).
"""

from __future__ import annotations

from typing import Any

from havre.api import API_VERSION
from havre.federation.placement import Requirements, label_expressions

POLICY_API_VERSION = "policy.karmada.io/v1alpha1"
POLICY_PREFIX = "havre-ws-"


def policy_name(workspace: str) -> str:
    return f"{POLICY_PREFIX}{workspace}"


def render_placement_policy(
    workspace: str, uid: str, req: Requirements, member: str | None
) -> dict[str, Any]:
    """The workspace's policy: its requirements, or the member it was placed on."""
    if member is not None:
        affinity: dict[str, Any] = {"clusterNames": [member]}
    else:
        expressions = label_expressions(req)
        affinity = {"labelSelector": {"matchExpressions": expressions}} if expressions else {}
    placement: dict[str, Any] = {
        # Exactly one member: one group of clusters, made of one cluster.
        "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}],
    }
    if affinity:
        placement["clusterAffinity"] = affinity
    return {
        "apiVersion": POLICY_API_VERSION,
        "kind": "ClusterPropagationPolicy",
        "metadata": {
            "name": policy_name(workspace),
            "labels": {
                "app.kubernetes.io/managed-by": "havre",
                "havre.io/workspace": workspace,
            },
            # Deleted with the workspace by the hub's garbage collector.
            "ownerReferences": [
                {"apiVersion": API_VERSION, "kind": "Workspace", "name": workspace, "uid": uid}
            ],
        },
        "spec": {
            "resourceSelectors": [
                {"apiVersion": API_VERSION, "kind": "Workspace", "name": workspace}
            ],
            "placement": placement,
            # A member's existing object of the same name is never taken over.
            "conflictResolution": "Abort",
        },
    }
