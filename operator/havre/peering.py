"""Peering between operator replicas: only one of several acts at a time (kopf peering).

Each replica writes keep-alives into a ``ClusterKopfPeering`` object; kopf pauses every
replica that sees a live peer of higher priority. The priority is derived from the start
time, so the oldest replica acts and a newly started one waits: a rolling update or a
scale-up never moves the work, and when the acting replica stops, the next-oldest resumes
(at once after a clean stop, which withdraws its keep-alive; after a crash, once the
keep-alive's lifetime has passed).
"""

from __future__ import annotations

import time

from havre.kube.cluster import Cluster, KubeApiError
from havre.kube.kinds import Kind

PEERING = Kind("kopf.dev/v1", "ClusterKopfPeering", "clusterkopfpeerings", False)
#: Seconds a keep-alive is valid (kopf's default); a crashed replica is replaced after it.
LIFETIME = 60


def start_priority(now: float | None = None) -> int:
    """A priority that is higher for a replica started earlier (millisecond resolution,
    so two replicas practically never tie; a tie would pause both)."""
    started = time.time() if now is None else now
    return -int(started * 1000)


def ensure_peering(cluster: Cluster, name: str) -> bool:
    """Create the peering object ``name`` if it is missing; True when this call created it.

    kopf does not create it, and without it a replica with mandatory peering stays paused.
    The object holds only keep-alives, so creating it here (not in the Helm release) keeps
    it out of the release's upgrades, which would recreate it under running replicas.
    """
    if cluster.get(PEERING, name) is not None:
        return False
    body = {
        "apiVersion": PEERING.api_version,
        "kind": PEERING.kind,
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "havre"}},
    }
    try:
        cluster.request("POST", PEERING.collection(), body=body)
    except KubeApiError as exc:
        if exc.status == 409:  # another replica created it first
            return False
        raise
    return True
