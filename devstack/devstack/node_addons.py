"""The cluster objects a node needs: RBAC for its programs, and CoreDNS with its Service.

- the apiserver's kubelet client (``kube-apiserver-kubelet-client``) is bound to
  ``system:kubelet-api-admin``, as kubeadm does, so logs, exec and port-forward pass the
  kubelet's webhook authorization;
- the NetworkPolicy enforcer (``havre:kube-router``) may only read what policies select;
- CoreDNS serves ``cluster.local`` from the API (Deployment ``coredns`` and Service
  ``kube-dns`` in ``kube-system``, labelled ``k8s-app: kube-dns`` as on any cluster, which
  is what workspaces' DNS egress rule selects). It forwards nothing: names outside the
  cluster do not resolve, as nothing outside the machine may be reached.
"""

from __future__ import annotations

from typing import Any

from devstack.node_network import NodeNetwork

KUBE_ROUTER_USER = "havre:kube-router"
COREFILE = """.:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    reload
    loadbalance
}
"""


def _binding(name: str, role: str, user: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }


def _read_role(name: str, rules: list[tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            {"apiGroups": [group], "resources": resources, "verbs": ["get", "list", "watch"]}
            for group, resources in rules
        ],
    }


def rbac() -> list[dict[str, Any]]:
    """Bindings for the apiserver's kubelet client and the NetworkPolicy enforcer."""
    return [
        _binding(
            "havre:apiserver-kubelet-client",
            "system:kubelet-api-admin",
            "kube-apiserver-kubelet-client",
        ),
        _read_role(
            "havre:kube-router",
            [
                ("", ["namespaces", "pods", "nodes", "services", "endpoints"]),
                ("networking.k8s.io", ["networkpolicies"]),
                ("discovery.k8s.io", ["endpointslices"]),
            ],
        ),
        _binding("havre:kube-router", "havre:kube-router", KUBE_ROUTER_USER),
    ]


def coredns(net: NodeNetwork, image: str) -> list[dict[str, Any]]:
    """CoreDNS: RBAC, Corefile, Deployment and the ``kube-dns`` Service at the DNS address."""
    ns = "kube-system"
    labels = {"k8s-app": "kube-dns"}
    meta = {"namespace": ns, "labels": labels}
    container = {
        "name": "coredns",
        "image": image,
        "imagePullPolicy": "Never",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        ],
        # BestEffort on purpose: requests would take CPU the workspaces' Trino pods need.
        "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}, "periodSeconds": 2},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
        },
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", **meta}},
        _read_role(
            "havre:coredns",
            [
                ("", ["endpoints", "services", "pods", "namespaces"]),
                ("discovery.k8s.io", ["endpointslices"]),
            ],
        ),
        {
            **_binding("havre:coredns", "havre:coredns", ""),
            "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": ns}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", **meta},
            "data": {"Corefile": COREFILE},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", **meta},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "coredns",
                        "dnsPolicy": "Default",
                        "priorityClassName": "system-cluster-critical",
                        "containers": [container],
                        "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", **meta},
            "spec": {
                "selector": labels,
                "clusterIP": net.dns_service_ip,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                ],
            },
        },
    ]
