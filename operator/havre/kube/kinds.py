"""The kinds Havre manages, with their REST paths (no discovery round-trips needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def collection(self, namespace: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced:
            if not namespace:
                raise ValueError(f"{self.kind} is namespaced: a namespace is needed")
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    def item(self, name: str, namespace: str | None = None) -> str:
        return f"{self.collection(namespace)}/{name}"


_ALL = [
    Kind("v1", "Namespace", "namespaces", False),
    Kind("v1", "ResourceQuota", "resourcequotas", True),
    Kind("v1", "LimitRange", "limitranges", True),
    Kind("v1", "ServiceAccount", "serviceaccounts", True),
    Kind("v1", "ConfigMap", "configmaps", True),
    Kind("v1", "Secret", "secrets", True),
    Kind("v1", "Service", "services", True),
    Kind("v1", "Event", "events", True),
    Kind("apps/v1", "Deployment", "deployments", True),
    Kind("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True),
    Kind("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    Kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    Kind("cert-manager.io/v1", "Certificate", "certificates", True),
    Kind("networking.k8s.io/v1", "Ingress", "ingresses", True),
    Kind("gateway.networking.k8s.io/v1alpha2", "TLSRoute", "tlsroutes", True),
    Kind("havre.io/v1alpha1", "Workspace", "workspaces", False),
    Kind("havre.io/v1alpha1", "Dataset", "datasets", False),
    Kind("havre.io/v1alpha1", "DatasetGrant", "datasetgrants", False),
    Kind("havre.io/v1alpha1", "SizeProfile", "sizeprofiles", False),
]
KINDS: dict[tuple[str, str], Kind] = {(k.api_version, k.kind): k for k in _ALL}


def kind_of(manifest: dict[str, Any]) -> Kind:
    try:
        return KINDS[(manifest["apiVersion"], manifest["kind"])]
    except KeyError:
        raise ValueError(
            f"unmanaged kind {manifest.get('apiVersion')}/{manifest.get('kind')}"
        ) from None


def by_name(kind: str) -> Kind:
    for k in _ALL:
        if k.kind == kind:
            return k
    raise ValueError(f"unmanaged kind {kind}")
