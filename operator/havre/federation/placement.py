"""Placement requirements of a workspace and the member clusters that can satisfy them (pure).

Members are Karmada ``Cluster`` objects labelled ``havre.io/provider``, ``havre.io/region``
and ``havre.io/<certification>: "true"``. A workspace's requirements are its
``spec.placement`` plus the provider of every provider-resident dataset granted to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from havre.api.model import Placement

LABEL_PREFIX = "havre.io/"
PROVIDER_LABEL = f"{LABEL_PREFIX}provider"
REGION_LABEL = f"{LABEL_PREFIX}region"


@dataclass(frozen=True)
class MemberCluster:
    """What the hub knows of one member: its labels and whether Karmada sees it healthy."""

    name: str
    labels: Mapping[str, str]
    ready: bool
    #: Since when the Ready condition has its current value, and Karmada's message.
    since: str = ""
    message: str = ""

    @property
    def provider(self) -> str:
        return self.labels.get(PROVIDER_LABEL, "")

    @property
    def region(self) -> str:
        return self.labels.get(REGION_LABEL, "")

    def holds(self, certification: str) -> bool:
        return self.labels.get(f"{LABEL_PREFIX}{certification}") == "true"


def member_from_cluster(obj: Mapping[str, Any]) -> MemberCluster:
    """A ``cluster.karmada.io/v1alpha1`` Cluster as a member."""
    meta = obj.get("metadata", {})
    ready = next(
        (c for c in obj.get("status", {}).get("conditions", []) if c.get("type") == "Ready"),
        None,
    )
    return MemberCluster(
        name=meta["name"],
        labels=dict(meta.get("labels") or {}),
        ready=ready is not None and ready.get("status") == "True",
        since=(ready or {}).get("lastTransitionTime", ""),
        message=(ready or {}).get("message", "never reported"),
    )


@dataclass(frozen=True)
class Requirements:
    """Everything a member must satisfy; empty sets mean "any"."""

    certifications: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    #: Providers that resident datasets granted to the workspace must never leave.
    resident: frozenset[str] = frozenset()

    @property
    def allowed_providers(self) -> frozenset[str] | None:
        """Providers the member may belong to (None: any); resident datasets narrow it."""
        allowed = self.providers or None
        for provider in self.resident:
            allowed = frozenset({provider}) if allowed is None else allowed & {provider}
        return allowed

    def allows(self, member: MemberCluster) -> bool:
        allowed = self.allowed_providers
        return (
            all(member.holds(c) for c in self.certifications)
            and (allowed is None or member.provider in allowed)
            and (not self.regions or member.region in self.regions)
        )

    def describe(self) -> str:
        parts = [f"certified {c}" for c in sorted(self.certifications)]
        if self.providers:
            parts.append(f"provider in {sorted(self.providers)}")
        if self.regions:
            parts.append(f"region in {sorted(self.regions)}")
        parts += [f"at provider {p} (resident dataset)" for p in sorted(self.resident)]
        return ", ".join(parts) or "no requirement"


def requirements(placement: Placement, resident: Iterable[str] = ()) -> Requirements:
    return Requirements(
        certifications=frozenset(c.value for c in placement.certifications),
        providers=frozenset(placement.providers),
        regions=frozenset(placement.regions),
        resident=frozenset(resident),
    )


def label_expressions(req: Requirements) -> list[dict[str, Any]]:
    """The requirements as a label selector's ``matchExpressions`` on Cluster objects."""
    expressions: list[dict[str, Any]] = [
        {"key": f"{LABEL_PREFIX}{c}", "operator": "In", "values": ["true"]}
        for c in sorted(req.certifications)
    ]
    allowed = req.allowed_providers
    if allowed is not None and not allowed:
        # Contradicting residencies: a selector no cluster can match (admission prevents it).
        expressions.append({"key": PROVIDER_LABEL, "operator": "Exists"})
        expressions.append({"key": PROVIDER_LABEL, "operator": "DoesNotExist"})
    elif allowed is not None:
        expressions.append({"key": PROVIDER_LABEL, "operator": "In", "values": sorted(allowed)})
    if req.regions:
        expressions.append({"key": REGION_LABEL, "operator": "In", "values": sorted(req.regions)})
    return expressions


def created_before(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when object ``a`` was created strictly before object ``b``."""

    def stamp(obj: Mapping[str, Any]) -> dt.datetime:
        raw = obj.get("metadata", {}).get("creationTimestamp") or "1970-01-01T00:00:00Z"
        return dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))

    return stamp(a) < stamp(b)


def grant_member(
    holder: str | None,
    placed: MemberCluster | None,
    workspace_applied: bool,
    dataset_applied: bool,
) -> str | None:
    """The member a grant goes to, or None.

    Only the member running the workspace, only when that member is at the provider
    holding the dataset, and only once both the workspace and the dataset exist there:
    a grant older than its workspace or dataset never attaches to them.
    """
    if holder is None or placed is None or placed.provider != holder:
        return None
    return placed.name if workspace_applied and dataset_applied else None


def holder_member(
    holder: str, candidates: Iterable[MemberCluster], dataset_applied: Iterable[str]
) -> str | None:
    """The member holding a dataset for a grant read from another provider: a member at
    ``holder`` where the dataset already exists (one member per provider is assumed; the
    first by name otherwise), or None while there is none."""
    applied = set(dataset_applied)
    found = sorted(m.name for m in candidates if m.provider == holder and m.name in applied)
    return found[0] if found else None
