"""A small synchronous client for the calls Havre makes, on top of the kubernetes package.

It speaks JSON dicts (no generated models, no discovery), applies with server-side apply,
and turns failures into Havre errors: an unreachable API server is temporary
(``KubernetesUnavailable``), a rejected object permanent (``Rejected``).
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from kubernetes import client, config

from havre.errors import DependencyUnavailable, HavreError
from havre.kube.kinds import Kind, kind_of

FIELD_MANAGER = "havre"


class KubeApiError(HavreError):
    """The API server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(
            message, reason="KubernetesRejected" if status < 500 else "KubernetesError"
        )
        self.status = status
        self.permanent = status < 500 and status not in (409, 429)


class Cluster:
    """One API server. The operator passes it to ``apply`` as a parameter, so a workspace
    can later be placed on another cluster."""

    def __init__(self, api: client.ApiClient, timeout: float = 30.0) -> None:
        self.api = api
        self.timeout = timeout

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, context: str | None = None) -> Cluster:
        """From a kubeconfig file, or the in-cluster service account when ``path`` is None
        and the operator runs in a pod."""
        configuration = client.Configuration()
        if path is None:
            try:
                config.load_incluster_config(client_configuration=configuration)
            except config.ConfigException:
                config.load_kube_config(client_configuration=configuration, context=context)
        else:
            config.load_kube_config(
                config_file=path, client_configuration=configuration, context=context
            )
        # Reconciles run in kopf's worker threads, each with a few requests in flight
        # (``apply_cluster.IN_FLIGHT``): keep their connections instead of discarding them.
        configuration.connection_pool_maxsize = 32
        return cls(client.ApiClient(configuration))

    def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        serialized = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self.api.call_api(
                serialized[0],
                serialized[1],
                serialized[2],
                serialized[3],
                _request_timeout=self.timeout,
            )
            response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise DependencyUnavailable(
                f"Kubernetes API server unreachable: {type(exc).__name__}",
                reason="KubernetesUnavailable",
            ) from exc
        data = response.data or b"{}"
        if not 200 <= response.status < 300:
            try:
                message = json.loads(data).get("message", "")
            except ValueError:
                message = data[:200].decode(errors="replace")
            raise KubeApiError(response.status, f"{method} {path}: {message}")
        loaded: dict[str, Any] = json.loads(data)
        return loaded

    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply with Havre's field manager, taking over conflicting fields."""
        kind = kind_of(manifest)
        meta = manifest["metadata"]
        return self.request(
            "PATCH",
            kind.item(meta["name"], meta.get("namespace")),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            body=manifest,
            content_type="application/apply-patch+yaml",
        )

    def list(
        self, kind: Kind, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]]:
        query = [("labelSelector", selector)] if selector else []
        items: list[dict[str, Any]] = self.request(
            "GET", kind.collection(namespace), query=query
        ).get("items", [])
        for item in items:  # list items carry no apiVersion/kind
            item.setdefault("apiVersion", kind.api_version)
            item.setdefault("kind", kind.kind)
        return items

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        try:
            return self.request("GET", kind.item(name, namespace))
        except KubeApiError as exc:
            if exc.status == 404:
                return None
            raise

    def delete(self, kind: Kind, name: str, namespace: str | None = None) -> None:
        """Delete in the background (dependents by the garbage collector); gone is fine."""
        try:
            self.request(
                "DELETE",
                kind.item(name, namespace),
                body={"propagationPolicy": "Background"},
            )
        except KubeApiError as exc:
            if exc.status != 404:
                raise

    def patch_status(
        self, kind: Kind, name: str, status: dict[str, Any], namespace: str | None = None
    ) -> dict[str, Any]:
        return self.request(
            "PATCH",
            kind.item(name, namespace) + "/status",
            body={"status": status},
            content_type="application/merge-patch+json",
        )
