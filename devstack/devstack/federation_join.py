"""Join a member cluster to the hub in push mode, as ``karmadactl join`` would.

On the member: a ServiceAccount for the hub, bound to what propagation needs (Havre's
kinds, the custom verbs ``approve`` on workspaces and ``grant`` on datasets that relay the
decisions the hub's admission checked, and Secrets in ``havre-federation`` only) — not
cluster-admin. On the hub: a Secret
with that account's token and the member's CA, and the ``Cluster`` object naming the
member's API endpoint and carrying the labels placement selects on.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.errors import ComponentError
from devstack.havre_setup import kubectl

MEMBER_NAMESPACE = "havre-federation"
#: Where a holder's operator keeps the grant-scoped credentials it issues and the hub copies
#: them: apart from the hub account's own token, which the operator must never read.
GRANTS_NAMESPACE = "havre-federation-grants"
HUB_SECRETS_NAMESPACE = "karmada-cluster"
SERVICE_ACCOUNT = "karmada-hub"
LABEL_PREFIX = "havre.io/"
CERTIFICATIONS = ("hds", "secnumcloud")


@dataclass(frozen=True)
class Member:
    """A member cluster as the hub knows it."""

    name: str
    provider: str
    region: str
    certifications: tuple[str, ...]
    kubeconfig: str
    server: str
    ca_file: str

    @property
    def labels(self) -> dict[str, str]:
        labels = {f"{LABEL_PREFIX}provider": self.provider, f"{LABEL_PREFIX}region": self.region}
        for cert in CERTIFICATIONS:
            labels[f"{LABEL_PREFIX}{cert}"] = str(cert in self.certifications).lower()
        return labels


def member_access(member: Member) -> list[dict[str, Any]]:
    """What the hub may do on the member: Havre's kinds, and Secrets in its own namespace."""
    account = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": MEMBER_NAMESPACE}
    labels = {"app.kubernetes.io/part-of": "havre-federation"}
    verbs = ["get", "list", "watch", "create", "update", "patch", "delete"]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": MEMBER_NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": MEMBER_NAMESPACE},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": f"{SERVICE_ACCOUNT}-token",
                "namespace": MEMBER_NAMESPACE,
                "annotations": {"kubernetes.io/service-account.name": SERVICE_ACCOUNT},
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "havre-federation-hub", "labels": labels},
            "rules": [
                {
                    "apiGroups": ["havre.io"],
                    "resources": ["workspaces", "datasets", "datasetgrants"],
                    "verbs": verbs,
                },
                # The hub relays decisions its own admission checked: approvals of
                # workspaces, and grants and datasets named by their stewards there.
                {"apiGroups": ["havre.io"], "resources": ["workspaces"], "verbs": ["approve"]},
                {"apiGroups": ["havre.io"], "resources": ["datasets"], "verbs": ["grant"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "havre-federation-hub", "labels": labels},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "havre-federation-hub",
            },
            "subjects": [account],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "havre-federation-hub", "namespace": MEMBER_NAMESPACE},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": verbs}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "havre-federation-hub", "namespace": MEMBER_NAMESPACE},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "havre-federation-hub",
            },
            "subjects": [account],
        },
        *grants_access(account),
    ]


#: The member's Havre operator, as the chart installs it.
OPERATOR_ACCOUNT = {"kind": "ServiceAccount", "name": "havre-operator", "namespace": "havre-system"}


def grants_access(hub_account: dict[str, str]) -> list[dict[str, Any]]:
    """The namespace of grant-scoped credentials: the member's operator keeps there the
    Secrets it issues as a holder (read to keep them, written, deleted at revocation); the
    hub reads them there and writes its copies. Nothing else of either is there: the
    operator never reaches the hub's token in ``havre-federation``. The local members'
    operators use their stack's admin kubeconfig; an installed one runs as
    ``OPERATOR_ACCOUNT``."""
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": GRANTS_NAMESPACE}}
    ]
    for name, subject, verbs in (
        ("havre-operator-federation", OPERATOR_ACCOUNT, ["get", "create", "patch", "delete"]),
        ("havre-federation-hub", hub_account, ["get", "list", "create", "patch", "delete"]),
    ):
        objects += [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": name, "namespace": GRANTS_NAMESPACE},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": verbs}],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": name, "namespace": GRANTS_NAMESPACE},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [subject],
            },
        ]
    return objects


def hub_records(member: Member, token: str, ca_pem: bytes, cluster_id: str) -> list[dict[str, Any]]:
    """The hub's Secret with the member's credentials, and its Cluster object."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": HUB_SECRETS_NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": member.name, "namespace": HUB_SECRETS_NAMESPACE},
            "data": {
                "token": base64.b64encode(token.encode()).decode(),
                "caBundle": base64.b64encode(ca_pem).decode(),
            },
        },
        {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": member.name, "labels": member.labels},
            "spec": {
                "id": cluster_id,
                "syncMode": "Push",
                "apiEndpoint": member.server,
                "secretRef": {"namespace": HUB_SECRETS_NAMESPACE, "name": member.name},
                "provider": member.provider,
                "region": member.region,
            },
        },
    ]


def _apply(kubeconfig: str, items: list[dict[str, Any]]) -> None:
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=manifest)


def _token(kubeconfig: str, timeout: float = 60.0) -> str:
    """The hub account's token, once the member's token controller has filled the Secret."""
    deadline = time.monotonic() + timeout
    while True:
        encoded = kubectl(
            kubeconfig,
            "get",
            "secret",
            f"{SERVICE_ACCOUNT}-token",
            "-n",
            MEMBER_NAMESPACE,
            "-o",
            "jsonpath={.data.token}",
        ).strip()
        if encoded:
            return base64.b64decode(encoded).decode()
        if time.monotonic() > deadline:
            raise ComponentError("federation", f"no token for {SERVICE_ACCOUNT} after {timeout}s")
        time.sleep(0.5)


def join(hub_kubeconfig: str, member: Member) -> None:
    """Create the member's hub account, then record the member on the hub (idempotent)."""
    _apply(member.kubeconfig, member_access(member))
    token = _token(member.kubeconfig)
    cluster_id = kubectl(
        member.kubeconfig, "get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}"
    ).strip()
    ca_pem = Path(member.ca_file).read_bytes()
    _apply(hub_kubeconfig, hub_records(member, token, ca_pem, cluster_id))
