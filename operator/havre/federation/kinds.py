"""Karmada kinds the hub reads and writes, with their REST paths."""

from __future__ import annotations

from havre.kube.kinds import Kind

CLUSTER = Kind("cluster.karmada.io/v1alpha1", "Cluster", "clusters", False)
CLUSTER_POLICY = Kind(
    "policy.karmada.io/v1alpha1", "ClusterPropagationPolicy", "clusterpropagationpolicies", False
)
CLUSTER_BINDING = Kind(
    "work.karmada.io/v1alpha2", "ClusterResourceBinding", "clusterresourcebindings", False
)
INTERPRETER = Kind(
    "config.karmada.io/v1alpha1",
    "ResourceInterpreterCustomization",
    "resourceinterpretercustomizations",
    False,
)


def binding_name(name: str, kind: str = "Workspace") -> str:
    """Karmada names a cluster-scoped object's binding ``<name>-<kind>`` in lower case."""
    return f"{name}-{kind}".lower()
