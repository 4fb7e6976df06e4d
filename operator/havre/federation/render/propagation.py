"""Policies that bring a Dataset to its provider's members and a grant to its workspace's
member (pure).

A Dataset goes to the members of the provider holding it, whose operator publishes its
catalog; a grant goes to the one member running its workspace, and only when that member
is at the dataset's provider, so the member's operator opens the dataset there as on any
single cluster. Reading a dataset held by another provider is not done this way.
"""

from __future__ import annotations

from typing import Any

from havre.api import API_VERSION
from havre.federation.placement import PROVIDER_LABEL
from havre.federation.render.policy import POLICY_API_VERSION


def _policy(
    name: str, kind: str, target: str, uid: str, affinity: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": POLICY_API_VERSION,
        "kind": "ClusterPropagationPolicy",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "havre"},
            "ownerReferences": [
                {"apiVersion": API_VERSION, "kind": kind, "name": target, "uid": uid}
            ],
        },
        "spec": {
            "resourceSelectors": [{"apiVersion": API_VERSION, "kind": kind, "name": target}],
            "placement": {"clusterAffinity": affinity},
            "conflictResolution": "Abort",
        },
    }


def dataset_policy_name(dataset: str) -> str:
    return f"havre-ds-{dataset}"


def grant_policy_name(grant: str) -> str:
    return f"havre-grant-{grant}"


def render_dataset_policy(dataset: str, uid: str, provider: str) -> dict[str, Any]:
    """The Dataset on every member of the provider that holds its data."""
    selector = {
        "matchExpressions": [{"key": PROVIDER_LABEL, "operator": "In", "values": [provider]}]
    }
    return _policy(
        dataset_policy_name(dataset), "Dataset", dataset, uid, {"labelSelector": selector}
    )


def render_grant_policy(grant: str, uid: str, member: str) -> dict[str, Any]:
    """The grant on the member that runs its workspace."""
    return _policy(grant_policy_name(grant), "DatasetGrant", grant, uid, {"clusterNames": [member]})
