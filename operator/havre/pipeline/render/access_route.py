"""The route from outside the cluster to a workspace's Trino, or nothing.

TLS is passed through: the workspace's Trino holds its certificate (which names the route's
host) and checks each researcher's token itself, so neither the gateway nor the ingress
controller ever sees credentials in clear. The NetworkPolicy admitting the gateway's
namespace to Trino's port is rendered with the other policies (``network.py``).
"""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.pipeline.render.trino_workloads import CLIENT_SERVICE
from havre.pipeline.validate import ValidWorkspace
from havre.settings import AccessSettings

ROUTE_NAME = "trino"
TLS_ROUTE_API = "gateway.networking.k8s.io/v1alpha2"
INGRESS_API = "networking.k8s.io/v1"


def route_kind(access: AccessSettings) -> tuple[str, str] | None:
    """(apiVersion, kind) of the routes these settings render, or None."""
    if access.route == "tlsroute":
        return TLS_ROUTE_API, "TLSRoute"
    if access.route == "ingress":
        return INGRESS_API, "Ingress"
    return None


def external_url(access: AccessSettings, workspace: str) -> str | None:
    """What a researcher's client connects to (HTTPS on 443), or None without a route."""
    host = access.host(workspace)
    return f"https://{host}" if host else None


def _tls_route(ws: ValidWorkspace, access: AccessSettings, host: str, port: int) -> dict[str, Any]:
    assert access.gateway is not None  # enforced by AccessSettings
    gateway_namespace, gateway = access.gateway.split("/", 1)
    parent: dict[str, Any] = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "namespace": gateway_namespace,
        "name": gateway,
    }
    if access.gateway_listener:
        parent["sectionName"] = access.gateway_listener
    return {
        "apiVersion": TLS_ROUTE_API,
        "kind": "TLSRoute",
        "metadata": {"name": ROUTE_NAME, "namespace": names.namespace(ws.name)},
        "spec": {
            "parentRefs": [parent],
            "hostnames": [host],
            "rules": [{"backendRefs": [{"name": CLIENT_SERVICE, "port": port}]}],
        },
    }


def _ingress(ws: ValidWorkspace, access: AccessSettings, host: str, port: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": ROUTE_NAME, "namespace": names.namespace(ws.name)}
    if access.ingress_annotations:
        metadata["annotations"] = dict(sorted(access.ingress_annotations.items()))
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": CLIENT_SERVICE, "port": {"number": port}}
                            },
                        }
                    ]
                },
            }
        ]
    }
    if access.ingress_class:
        spec = {"ingressClassName": access.ingress_class, **spec}
    return {"apiVersion": INGRESS_API, "kind": "Ingress", "metadata": metadata, "spec": spec}


def render_access_route(
    ws: ValidWorkspace, access: AccessSettings, trino_port: int
) -> list[dict[str, Any]]:
    """The workspace's route to its Trino's client Service: none, one TLSRoute or one
    Ingress (no ``tls`` section: the controller must pass TLS through, not end it)."""
    host = access.host(ws.name)
    if host is None:
        return []
    if access.route == "tlsroute":
        return [_tls_route(ws, access, host, trino_port)]
    return [_ingress(ws, access, host, trino_port)]
