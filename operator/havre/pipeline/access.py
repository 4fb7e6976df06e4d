"""Apply a workspace's access route (needs a client): the rendered route, and removal of
routes of the configured kind it no longer renders.

Separate from ``apply_workspace`` because the route's kind depends on the settings and may
not be served at all (Gateway API CRDs absent): only the configured kind is ever listed,
so a cluster without Gateway API, or an operator without rights on it, is never asked.
"""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.errors import HavreError
from havre.kube.cluster import Cluster, KubeApiError
from havre.kube.kinds import KINDS
from havre.pipeline.apply_cluster import contains, selector, stamp
from havre.pipeline.render.access_route import route_kind
from havre.pipeline.render.cluster import Owner
from havre.settings import AccessSettings


class RouteUnavailable(HavreError):
    """The cluster does not serve the configured route kind."""

    reason = "AccessRouteUnavailable"


def apply_access_route(
    cluster: Cluster, owner: Owner, access: AccessSettings, routes: list[dict[str, Any]]
) -> list[str]:
    """Make the workspace's namespace hold exactly ``routes`` of the configured kind;
    what changed, as ``Kind/namespace/name`` (``-`` before a deleted one)."""
    api_kind = route_kind(access)
    if api_kind is None:
        return []
    kind = KINDS[api_kind]
    namespace = names.namespace(owner.name)
    try:
        live = {o["metadata"]["name"]: o for o in cluster.list(kind, namespace, selector(owner))}
    except KubeApiError as exc:
        if exc.status == 404:
            raise RouteUnavailable(
                f"this cluster does not serve {kind.api_version} {kind.kind}; install it "
                "(Gateway API CRDs for tlsroute) or choose another access route"
            ) from exc
        raise
    changes: list[str] = []
    wanted = set()
    for route in routes:
        stamped = stamp(route, owner)
        name = stamped["metadata"]["name"]
        wanted.add(name)
        if name in live and contains(stamped, live[name]):
            continue
        cluster.apply(stamped)
        changes.append(f"{kind.kind}/{namespace}/{name}")
    for name in sorted(set(live) - wanted):
        cluster.delete(kind, name, namespace)
        changes.append(f"-{kind.kind}/{namespace}/{name}")
    return changes
