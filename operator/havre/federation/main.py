"""``python -m havre`` with ``HAVRE_FEDERATION_ROLE=hub``: the operator on the Karmada hub."""

from __future__ import annotations

import kopf

from havre.federation.handlers import HubContext, register
from havre.kube.cluster import Cluster
from havre.settings import FederationSettings


def run_hub(
    fed: FederationSettings, kubeconfig: str | None, liveness: str | None, verbose: bool
) -> int:
    """Place workspaces on members and report them; nothing is provisioned on the hub."""
    register(fed)
    kopf.configure(verbose=verbose)
    kopf.run(
        clusterwide=True,
        standalone=True,
        liveness_endpoint=liveness,
        memo=kopf.Memo(hub=HubContext(Cluster.from_kubeconfig(kubeconfig), fed)),
    )
    return 0
