"""A minimal client of the stack's API server for the devstack itself (admin certificate).

Server-side apply, get and delete: what the node component needs to install its
cluster add-ons (RBAC, CoreDNS) and to read the node's state, without kubectl.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FIELD_MANAGER = "havre-devstack"

#: kind -> (API prefix, plural, namespaced)
_KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Service": ("/api/v1", "services", True),
    "Pod": ("/api/v1", "pods", True),
    "Node": ("/api/v1", "nodes", False),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
}


class KubeAPI:
    """Requests to ``server`` as the stack's admin (client certificate from ``pki``)."""

    def __init__(self, server: str, pki: Path) -> None:
        self.server = server
        self.context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        self.context.load_cert_chain(str(pki / "admin.pem"), str(pki / "admin-key.pem"))

    def path(self, kind: str, name: str = "", namespace: str = "") -> str:
        prefix, plural, namespaced = _KINDS[kind]
        base = f"{prefix}/namespaces/{namespace}/{plural}" if namespaced else f"{prefix}/{plural}"
        return f"{base}/{name}" if name else base

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(f"{self.server}{path}", data=body, method=method)  # noqa: S310
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.context) as resp:  # noqa: S310
                return int(resp.status), json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply ``obj`` (forced: the devstack owns these objects)."""
        meta = obj["metadata"]
        path = self.path(obj["kind"], meta["name"], meta.get("namespace", ""))
        status, body = self.request(
            "PATCH",
            f"{path}?fieldManager={FIELD_MANAGER}&force=true",
            json.dumps(obj).encode(),
            "application/apply-patch+yaml",
        )
        if status >= 300:
            what = f"{obj['kind']}/{meta['name']}"
            raise RuntimeError(f"apply {what}: {status} {body.get('message')}")
        return body

    def get(self, kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        status, body = self.request("GET", self.path(kind, name, namespace))
        if status == 404:
            return None
        if status >= 300:
            raise RuntimeError(f"get {kind}/{name}: {status} {body.get('message')}")
        return body
