"""The operator's own rights in a workspace namespace, in place before anything else.

Needs a client. The operator holds nothing cluster-wide inside namespaces (no Secrets, no
workloads): what it writes in ``ws-<name>`` it writes with the RoleBinding ``havre-operator``
it renders there (``render.rbac.render_operator_access``). So the namespace and that
binding are applied first, and the rest of the reconcile — reading the kept credentials,
listing what it manages, applying — waits until the API server's authorizer honours the
binding (RBAC caches make that a matter of milliseconds, not zero).
"""

from __future__ import annotations

import time
from typing import Any

from havre.errors import Pending
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.apply_cluster import contains, stamp
from havre.pipeline.render.cluster import Owner

_REVIEW = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def may_list_secrets(cluster: Cluster, namespace: str) -> bool:
    """Whether the operator's identity may list Secrets in ``namespace`` now."""
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {"namespace": namespace, "verb": "list", "resource": "secrets"}
        },
    }
    answer = cluster.request("POST", _REVIEW, body=review)
    return bool(answer.get("status", {}).get("allowed"))


def open_namespace(
    cluster: Cluster,
    owner: Owner,
    namespace: dict[str, Any],
    binding: dict[str, Any],
    timeout: float = 10.0,
) -> list[str]:
    """Make sure the namespace and the operator's RoleBinding in it exist and are in force;
    what was created or repaired. A namespace being deleted is left alone (the apply step
    reports it)."""
    changed: list[str] = []
    name = namespace["metadata"]["name"]
    live = cluster.get(by_name("Namespace"), name)
    if live is not None and live.get("status", {}).get("phase") == "Terminating":
        return changed
    if live is None:
        cluster.apply(stamp(namespace, owner))
        changed.append(f"Namespace/{name}")
    wanted, wanted_name = stamp(binding, owner), binding["metadata"]["name"]
    # In a namespace just created there is nothing to read yet.
    current = None if live is None else cluster.get(by_name("RoleBinding"), wanted_name, name)
    if current is not None and contains(wanted, current):
        return changed
    cluster.apply(wanted)
    changed.append(f"RoleBinding/{name}/{wanted_name}")
    deadline = time.monotonic() + timeout
    while not may_list_secrets(cluster, name):
        if time.monotonic() > deadline:
            raise Pending(
                f"the operator's RoleBinding in namespace {name} is not in force yet",
                reason="OperatorAccessPending",
            )
        time.sleep(0.1)
    return changed
