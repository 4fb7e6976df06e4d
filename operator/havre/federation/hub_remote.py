"""The hub's part in a grant read across providers: mark it, send it to the holder.

A grant whose dataset is held at another provider than its workspace's member goes to
the member holding the data, marked with the workspace's provider (annotation
``federation.havre.io/workspace-provider``), so that member's operator issues credentials
scoped to the grant (``remote_grant.py``, ``holder.py``) and withdraws them when the hub
deletes it there. A grant of provider-resident data is never sent (admission refuses it
anyway: resident data is never read from elsewhere). The hub writes the mark before the
policy; should Karmada deliver the grant before its mark, the holder sees a grant of an
absent workspace (nothing issued) until the mark arrives. A local grant carries no mark.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from havre.api.model import ANYWHERE, DatasetSpec
from havre.api.names import READER_ANNOTATION
from havre.federation.carry import carry, live_remote_grants, sweep
from havre.federation.kinds import CLUSTER_BINDING, binding_name
from havre.federation.placement import MemberCluster, holder_member
from havre.federation.render.propagation import render_grant_policy
from havre.federation.status import MemberState, member_report, remote_grant_state
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

GRANT = by_name("DatasetGrant")
log = logging.getLogger("havre.federation.hub")


def mark(cluster: Cluster, grant: dict[str, Any], reader: str | None) -> None:
    """Set (or remove, ``None``) the grant's mark of its workspace's provider."""
    meta = grant["metadata"]
    if (meta.get("annotations") or {}).get(READER_ANNOTATION) == reader:
        return
    cluster.request(
        "PATCH",
        GRANT.item(meta["name"]),
        body={"metadata": {"annotations": {READER_ANNOTATION: reader}}},
        content_type="application/merge-patch+json",
    )


def _applied_members(binding: dict[str, Any] | None) -> list[str]:
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    return [str(i.get("clusterName")) for i in items if i.get("applied")]


def propagate_remote(
    cluster: Cluster,
    grant: dict[str, Any],
    dataset: str,
    spec: DatasetSpec,
    member: MemberCluster,
    members: list[MemberCluster],
    apply_policy: Callable[[dict[str, Any]], object],
) -> MemberState:
    """Send a grant of data held elsewhere to the holder's member (``apply_policy``
    writes its ClusterPropagationPolicy); the hub's finding."""
    holder = spec.holder or ""
    if spec.residency != ANYWHERE:
        return MemberState(
            False,
            "RemoteDataset",
            f"Dataset {dataset} must stay at provider {spec.residency}; it is never read from "
            f"member {member.name}.",
        )
    ds_binding = cluster.get(CLUSTER_BINDING, binding_name(dataset, "Dataset"))
    target = holder_member(holder, members, _applied_members(ds_binding))
    if target is None:
        return remote_grant_state(dataset, holder, None, None, member.name)
    meta = grant["metadata"]
    mark(cluster, grant, member.provider)
    apply_policy(render_grant_policy(meta["name"], meta["uid"], target))
    binding = cluster.get(CLUSTER_BINDING, binding_name(meta["name"], "DatasetGrant"))
    items = ((binding or {}).get("status") or {}).get("aggregatedStatus") or []
    item = next((i for i in items if i.get("clusterName") == target), None)
    report = member_report(item, target) if item is not None else None
    carried = report is not None and report.ok and _carried(cluster, grant, target, member.name)
    return remote_grant_state(dataset, holder, target, report, member.name, carried)


def _carried(cluster: Cluster, grant: dict[str, Any], holder: str, reader: str) -> bool:
    """Carry the credentials; a member that does not answer leaves it for the next round
    (the grant's state says so; revocation never depends on it)."""
    try:
        return carry(cluster, grant, holder, reader)
    except Exception as exc:
        log.warning("carrying credentials of grant %s: %s", grant["metadata"]["name"], exc)
        return False


def sweep_copies(cluster: Cluster, _: str = "") -> None:
    """Delete the carried copies no live remote grant needs (every member)."""
    now = dt.datetime.now(dt.UTC)
    for deleted in sweep(cluster, live_remote_grants(cluster.list(GRANT)), now):
        log.info("deleted carried credentials %s", deleted)
