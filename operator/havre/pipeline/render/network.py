"""NetworkPolicies: deny everything, then allow only what a workspace needs."""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Endpoint, Settings

TRINO_SELECTOR = {"app.kubernetes.io/name": "trino", "app.kubernetes.io/component": "coordinator"}
_NS_NAME = "kubernetes.io/metadata.name"
#: The policy admitting the metrics scraper to the coordinator (absent when none is set).
SCRAPER_POLICY = "havre-allow-metrics-scraper"


def _policy(ws: ValidWorkspace, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": names.namespace(ws.name)},
        "spec": spec,
    }


def _egress_to(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "to": [{"ipBlock": {"cidr": endpoint.cidr}}],
        "ports": [{"protocol": "TCP", "port": endpoint.port}],
    }


def render_scraper_policy(ws: ValidWorkspace, settings: Settings) -> dict[str, Any] | None:
    """Ingress to the coordinator's HTTPS port (where it serves ``/metrics``) from the
    metrics scraper: pods of its namespace in the cluster, and/or an address block outside
    it. None when neither is configured: then nothing is admitted."""
    metrics = settings.metrics
    peers: list[dict[str, Any]] = []
    if metrics.trino_scraper_namespace:
        selector = {_NS_NAME: metrics.trino_scraper_namespace}
        peers.append({"namespaceSelector": {"matchLabels": selector}})
    if metrics.trino_scraper_cidr:
        peers.append({"ipBlock": {"cidr": metrics.trino_scraper_cidr}})
    if not peers:
        return None
    return _policy(
        ws,
        SCRAPER_POLICY,
        {
            "podSelector": {"matchLabels": TRINO_SELECTOR},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": peers, "ports": [{"protocol": "TCP", "port": settings.trino_port}]}
            ],
        },
    )


def render_network_policies(ws: ValidWorkspace, settings: Settings) -> list[dict[str, Any]]:
    """Default deny in and out; allow the namespace itself, DNS, the configured platform
    endpoints, ingress to Trino's port from the gateway namespace, and from the metrics
    scraper when one is configured."""
    policies = [
        _policy(
            ws, "havre-default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        ),
        _policy(
            ws,
            "havre-allow-same-namespace",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
        _policy(
            ws,
            "havre-allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {_NS_NAME: "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [
                            {"protocol": "UDP", "port": 53},
                            {"protocol": "TCP", "port": 53},
                        ],
                    }
                ],
            },
        ),
        _policy(
            ws,
            "havre-allow-gateway-to-trino",
            {
                "podSelector": {"matchLabels": TRINO_SELECTOR},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {_NS_NAME: settings.gateway_namespace}
                                }
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": settings.trino_port}],
                    }
                ],
            },
        ),
    ]
    scraper = render_scraper_policy(ws, settings)
    if scraper is not None:
        policies.append(scraper)
    endpoints = [
        e
        for e in (
            settings.object_store,
            settings.catalog_database,
            settings.identity_provider,
            settings.audit_receiver,
        )
        if e is not None
    ]
    if endpoints:
        policies.append(
            _policy(
                ws,
                "havre-allow-platform",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [_egress_to(e) for e in endpoints],
                },
            )
        )
    return policies
