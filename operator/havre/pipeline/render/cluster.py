"""What a workspace holds in the cluster, as one plan for the applier (``apply_cluster``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: (kind, namespace or "", name): how the applier tells objects apart.
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Owner:
    """The object that owns what is applied (a Workspace)."""

    api_version: str
    kind: str
    name: str
    uid: str


def key_of(manifest: dict[str, Any]) -> Key:
    meta = manifest["metadata"]
    return (manifest["kind"], meta.get("namespace", ""), meta["name"])


@dataclass(frozen=True)
class ClusterPlan:
    """What the workspace holds in the cluster."""

    owner: Owner
    manifests: tuple[dict[str, Any], ...]
    #: Manifests that carry access (bindings, group file): rewritten in the first phase.
    access: frozenset[Key] = frozenset()
    #: Kinds never deleted this run: a part that could not be rendered keeps what it has.
    protected: frozenset[str] = frozenset()
    #: When set, only these kinds are deleted (a locked-down workspace loses its bindings,
    #: nothing else).
    prunable: frozenset[str] | None = None
