"""Make a bare Kubernetes control plane a Karmada hub: Karmada's API, its admission, Havre's API.

The aggregated API server (``cluster.karmada.io``) is reached through an APIService whose
Service is an ExternalName for ``localhost``: the aggregator dials it without cluster IPs
or endpoints. Karmada's admission webhooks are ``url:`` webhooks to the loopback process.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from devstack.federation_build import KarmadaBuild
from devstack.federation_karmada import AGGREGATED_APISERVER_PORT, Webhook
from devstack.havre_setup import kubectl
from devstack.paths import REPO_ROOT, StackPaths
from devstack.tls import StackCA

KARMADA_NAMESPACES = ("karmada-system", "karmada-cluster")
# Karmada's own admission webhooks: (name, API group prefix, resource, scope).
_MUTATING = (
    ("propagationpolicy", "policy", "propagationpolicies", "Namespaced"),
    ("clusterpropagationpolicy", "policy", "clusterpropagationpolicies", "Cluster"),
    ("resourcebinding", "work", "resourcebindings", "Namespaced"),
    ("clusterresourcebinding", "work", "clusterresourcebindings", "Cluster"),
    ("work", "work", "works", "Namespaced"),
)
_VALIDATING = (
    ("propagationpolicy", "policy", "propagationpolicies", "Namespaced"),
    ("clusterpropagationpolicy", "policy", "clusterpropagationpolicies", "Cluster"),
    ("resourceinterpretercustomization", "config", "resourceinterpretercustomizations", "Cluster"),
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _webhook(prefix: str, entry: tuple[str, str, str, str], url: str, ca: str) -> dict[str, Any]:
    name, group, resource, scope = entry
    operations = ["CREATE"] if resource.endswith("bindings") and prefix == "mutate" else None
    return {
        "name": f"{name}.karmada.io",
        "rules": [
            {
                "operations": operations or ["CREATE", "UPDATE"],
                "apiGroups": [f"{group}.karmada.io"],
                "apiVersions": ["*"],
                "resources": [resource],
                "scope": scope,
            }
        ],
        "clientConfig": {"url": f"{url}/{prefix}-{name}", "caBundle": ca},
        "failurePolicy": "Fail",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        # Generous: the machine running the whole platform is often busy.
        "timeoutSeconds": 10,
    }


def karmada_api_manifests(paths: StackPaths) -> list[dict[str, Any]]:
    """Namespaces, the APIService of Cluster objects, and the webhook configurations."""
    ca = _b64(StackCA(paths.state).cert_path.read_bytes())
    webhook_url = Webhook(paths).url
    manifests: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        for ns in KARMADA_NAMESPACES
    ]
    manifests.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "karmada-aggregated-apiserver", "namespace": "karmada-system"},
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"port": paths.port(AGGREGATED_APISERVER_PORT), "protocol": "TCP"}],
            },
        }
    )
    manifests.append(
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1alpha1.cluster.karmada.io"},
            "spec": {
                "group": "cluster.karmada.io",
                "version": "v1alpha1",
                "groupPriorityMinimum": 2000,
                "versionPriority": 10,
                "caBundle": ca,
                "service": {
                    "name": "karmada-aggregated-apiserver",
                    "namespace": "karmada-system",
                    "port": paths.port(AGGREGATED_APISERVER_PORT),
                },
            },
        }
    )
    manifests.append(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "karmada-mutating"},
            "webhooks": [_webhook("mutate", e, webhook_url, ca) for e in _MUTATING],
        }
    )
    manifests.append(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "karmada-validating"},
            "webhooks": [_webhook("validate", e, webhook_url, ca) for e in _VALIDATING],
        }
    )
    return manifests


def install_karmada_api(paths: StackPaths, kubeconfig: str, build: KarmadaBuild) -> None:
    """Karmada's CRDs, then its namespaces, APIService and admission (before its programs)."""
    kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", str(build.crds))
    items = {"apiVersion": "v1", "kind": "List", "items": karmada_api_manifests(paths)}
    kubectl(
        kubeconfig,
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        "-",
        stdin=json.dumps(items),
    )


def install_havre_api(kubeconfig: str) -> None:
    """Havre's CRDs, personas and admission policies: users work with the hub's objects."""
    kubectl(
        kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", str(REPO_ROOT / "crds")
    )
    for crd in ("workspaces", "datasets", "datasetgrants"):
        kubectl(kubeconfig, "wait", "--for=condition=Established", f"crd/{crd}.havre.io")


def clusters_served(kubeconfig: str) -> bool:
    """The aggregator routes ``cluster.karmada.io`` to the aggregated API server."""
    try:
        kubectl(kubeconfig, "get", "--raw", "/apis/cluster.karmada.io/v1alpha1/clusters")
    except Exception:
        return False
    return True
