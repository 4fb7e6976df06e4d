"""Data residency on the hub: where resident datasets pin a workspace, and which grants
would move resident data off its provider (pure).

Rule ``DataResidency``: a dataset whose ``spec.residency`` names a provider is read only
by workspaces running at that provider. A grant is refused at admission when its
workspace cannot run there — its placement excludes the provider, it already runs at
another one (placed workspaces never move), it already holds data resident elsewhere,
or no member at that provider satisfies its placement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from havre.api.model import ANYWHERE, DatasetSpec, WorkspaceSpec
from havre.federation.placement import MemberCluster, created_before, requirements

RULE = "DataResidency"


def resident_providers(
    workspace: Mapping[str, Any],
    grants: Iterable[Mapping[str, Any]],
    datasets: Mapping[str, DatasetSpec],
    excluding: str | None = None,
) -> set[str]:
    """Providers that the datasets granted to ``workspace`` must stay at.

    A grant made before the workspace existed never attaches to it, so it does not count.
    """
    name = workspace["metadata"]["name"]
    found: set[str] = set()
    for grant in grants:
        spec = grant.get("spec", {})
        meta = grant.get("metadata", {})
        if spec.get("workspace") != name or meta.get("name") == excluding:
            continue
        if meta.get("deletionTimestamp") or created_before(grant, workspace):
            continue
        dataset = datasets.get(spec.get("dataset", ""))
        if dataset is not None and dataset.residency != ANYWHERE:
            found.add(dataset.residency)
    return found


def residency_refusal(
    grant_name: str,
    dataset_name: str,
    dataset: DatasetSpec | None,
    workspace_name: str,
    workspace: WorkspaceSpec | None,
    placed_on: MemberCluster | None,
    other_resident: set[str],
    members: Iterable[MemberCluster],
) -> str | None:
    """Why the grant would move resident data off its provider, or None when it would not.

    A missing dataset or workspace is no residency matter: such a grant never attaches.
    """
    if dataset is None or workspace is None or dataset.residency == ANYWHERE:
        return None
    provider = dataset.residency
    head = (
        f"{RULE}: dataset {dataset_name} must stay at provider {provider} (spec.residency), "
        f"so grant {grant_name} needs workspace {workspace_name} to run there, but "
    )
    if workspace.placement.providers and provider not in workspace.placement.providers:
        allowed = ", ".join(sorted(workspace.placement.providers))
        return head + f"its placement allows only providers {allowed}."
    if placed_on is not None and placed_on.provider != provider:
        return head + (
            f"it runs on member {placed_on.name} at provider {placed_on.provider or '(none)'} "
            "and a placed workspace never moves."
        )
    elsewhere = sorted(other_resident - {provider})
    if elsewhere:
        return head + f"it already reads data that must stay at provider {', '.join(elsewhere)}."
    req = requirements(workspace.placement, {provider})
    if placed_on is None and not any(req.allows(m) for m in members):
        return (
            head + f"no member at provider {provider} satisfies its placement ({req.describe()})."
        )
    return None
