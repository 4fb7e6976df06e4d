"""Building, applying and inspecting Workspaces in tests."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import yaml

from havre.kube.kinds import by_name
from tests.integration.helpers import ROOT, kubectl, wait_for

WORKSPACE = by_name("Workspace")


def example(name: str = "cardio") -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (ROOT / "workspaces" / "examples" / f"{name}.yaml").read_text()
    )
    return loaded


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


#: The admin kubeconfig's user (the local API server's client certificate), who approves.
ADMIN = "havre-admin"
#: An approval by the admin, as an approver adds it to a request.
APPROVAL = {"decision": "Approved", "by": ADMIN}


def workspace(name: str, **spec: Any) -> dict[str, Any]:
    """The cardio example under another name, approved, with ``spec`` fields replaced."""
    obj = copy.deepcopy(example())
    obj["metadata"] = {"name": name}
    obj["spec"]["approval"] = dict(APPROVAL)
    obj["spec"].update(spec)
    return obj


def request(name: str, **spec: Any) -> dict[str, Any]:
    """Like ``workspace`` but without a decision: a request that awaits an approver."""
    obj = workspace(name, **spec)
    del obj["spec"]["approval"]
    return obj


def approve(kubeconfig: str, name: str) -> None:
    """Approve the request ``name`` as the admin."""
    patch = json.dumps({"spec": {"approval": APPROVAL}})
    result = kubectl(kubeconfig, "patch", "workspace", name, "--type=merge", "-p", patch)
    assert result.returncode == 0, result.stderr


def apply(kubeconfig: str, obj: dict[str, Any], as_user: str | None = None) -> None:
    result = kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(obj), as_user=as_user)
    assert result.returncode == 0, result.stderr


def condition(obj: dict[str, Any] | None, type_: str = "Ready") -> dict[str, Any] | None:
    if obj is None:
        return None
    for cond in obj.get("status", {}).get("conditions", []):
        if cond["type"] == type_:
            return dict(cond)
    return None


def wait_provisioned(cluster: Any, name: str, timeout: float = 90.0) -> dict[str, Any]:
    """Wait until everything of the workspace but its running query engine is in place for
    its current generation: every condition True except ``Ready`` and ``QueryEngine``
    (reported, but the cardio-sized Trino of test workspaces never fits the test node)."""

    def provisioned() -> dict[str, Any] | None:
        obj = cluster.get(WORKSPACE, name)
        if (
            obj is None
            or obj.get("status", {}).get("observedGeneration") != obj["metadata"]["generation"]
        ):
            return None
        conditions = {c["type"]: c for c in obj["status"].get("conditions", [])}
        others = [c for t, c in conditions.items() if t not in ("Ready", "QueryEngine")]
        if others and all(c["status"] == "True" for c in others if c["type"] != "Degraded"):
            degraded = conditions.get("Degraded")
            if degraded is None or degraded["status"] == "False":
                return dict(obj)
        return None

    return wait_for(f"workspace {name} provisioned", provisioned, timeout)


def wait_conditions(
    cluster: Any, name: str, kinds: tuple[str, ...], timeout: float = 90.0
) -> dict[str, Any]:
    """Wait until the named conditions are True for the current generation (e.g. the
    Namespace and Access a Kubernetes RBAC test needs, whatever the identity provider says
    of its made-up members)."""

    def done() -> dict[str, Any] | None:
        obj = cluster.get(WORKSPACE, name)
        if obj is None:
            return None
        generation = obj["metadata"]["generation"]
        conds = [condition(obj, kind) for kind in kinds]
        if all(
            c is not None and c["status"] == "True" and c.get("observedGeneration") == generation
            for c in conds
        ):
            return dict(obj)
        return None

    return wait_for(f"workspace {name} {', '.join(kinds)}", done, timeout)


def wait_ready(cluster: Any, name: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until the Workspace reports Ready=True for its current generation."""
    return wait_conditions(cluster, name, ("Ready",), timeout)


def delete(kubeconfig: str, name: str) -> None:
    kubectl(kubeconfig, "delete", "workspace", name, "--ignore-not-found", "--wait=false")


def dataset(
    name: str, bucket: str, prefix: str, namespace: str = "snds", steward: str = "sam"
) -> dict[str, Any]:
    """A Dataset as a data steward publishes it."""
    return {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": name},
        "spec": {
            "title": "SNDS synthetic sample",
            "bucket": bucket,
            "prefix": prefix,
            "icebergNamespace": namespace,
            "steward": steward,
        },
    }


def grant(
    name: str, workspace: str, dataset: str, expires: str = "2030-01-01T00:00:00Z"
) -> dict[str, Any]:
    """A DatasetGrant under the MR-004 reference methodology."""
    return {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "DatasetGrant",
        "metadata": {"name": name},
        "spec": {
            "workspace": workspace,
            "dataset": dataset,
            "legalBasis": "MR-004",
            "expires": expires,
        },
    }
