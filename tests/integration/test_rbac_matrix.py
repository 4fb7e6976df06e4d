"""Who may do what, checked by the real authorizer with impersonated users.

Two workspaces A and B; members of A must not reach B, nobody reads A's Secrets, only a
data steward grants datasets, and an owner edits only their own Workspace.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl
from tests.integration.workspaces import apply, delete, unique, wait_provisioned, workspace

pytestmark = pytest.mark.integration

PREFIX = "oidc:"


@pytest.fixture(scope="module")
def pair(kube: Kube, operator: OperatorProcess) -> Iterator[tuple[str, str]]:
    a, b = unique("rbac-a"), unique("rbac-b")
    apply(
        kube.kubeconfig,
        workspace(
            a,
            owner="ann",
            members=[{"user": "andy", "role": "analyst"}, {"user": "vera", "role": "viewer"}],
        ),
    )
    apply(kube.kubeconfig, workspace(b, owner="bea", members=[]))
    wait_provisioned(kube.cluster, a)
    wait_provisioned(kube.cluster, b)
    for user, persona in [("rita", "havre-researcher"), ("sam", "havre-data-steward")]:
        kubectl(
            kube.kubeconfig, "delete", "clusterrolebinding", f"test-{user}", "--ignore-not-found"
        )
        made = kubectl(
            kube.kubeconfig,
            "create",
            "clusterrolebinding",
            f"test-{user}",
            f"--clusterrole={persona}",
            f"--user={PREFIX}{user}",
        )
        assert made.returncode == 0, made.stderr
    yield a, b
    delete(kube.kubeconfig, a)
    delete(kube.kubeconfig, b)


def can(kube: Kube, user: str, verb: str, resource: str, namespace: str | None = None) -> bool:
    # "pods#exec" asks about a subresource; "workspaces.havre.io/a" about one named object
    resource, _, sub = resource.partition("#")
    args = ["auth", "can-i", verb, resource] + (["--subresource", sub] if sub else [])
    if namespace:
        args += ["-n", namespace]
    result = kubectl(kube.kubeconfig, *args, as_user=f"{PREFIX}{user}")
    answer = result.stdout.strip()
    assert answer in ("yes", "no"), result.stderr
    return answer == "yes"


def test_access_matrix(kube: Kube, pair: tuple[str, str]) -> None:
    a, b = pair
    ns_a, ns_b = f"ws-{a}", f"ws-{b}"
    # (who, verb, resource, namespace, expected)
    matrix = [
        ("ann", "list", "pods", ns_b, False),
        ("andy", "get", "configmaps", ns_b, False),
        ("vera", "get", "secrets", ns_b, False),
        ("andy", "list", "secrets", ns_b, False),
        ("ann", "get", "secrets", ns_a, False),
        ("andy", "get", "secrets", ns_a, False),
        ("vera", "get", "secrets", ns_a, False),
        ("vera", "list", "pods", ns_a, True),
        ("vera", "get", "configmaps", ns_a, True),
        ("vera", "create", "pods#portforward", ns_a, False),
        ("andy", "create", "pods#portforward", ns_a, True),
        ("andy", "create", "pods", ns_a, False),
        ("ann", "create", "pods#exec", ns_a, False),
        ("ann", "delete", "pods", ns_a, True),
        ("ann", "patch", f"workspaces.havre.io/{a}", None, True),
        ("ann", "patch", f"workspaces.havre.io/{b}", None, False),
        ("andy", "patch", f"workspaces.havre.io/{a}", None, False),
        ("rita", "create", "workspaces.havre.io", None, True),
        ("rita", "patch", f"workspaces.havre.io/{b}", None, False),
        ("rita", "create", "datasetgrants.havre.io", None, False),
        ("rita", "update", "datasetgrants.havre.io", None, False),
        ("rita", "get", "datasets.havre.io", None, True),
        ("sam", "create", "datasetgrants.havre.io", None, True),
        ("sam", "delete", "datasetgrants.havre.io", None, True),
        ("sam", "patch", f"workspaces.havre.io/{a}", None, False),
        ("nobody", "list", "secrets", ns_a, False),
    ]
    rows = []
    failures = []
    for who, verb, resource, ns, expected in matrix:
        got = can(kube, who, verb, resource, ns)
        rows.append(
            f"{who:<7} {verb:<7} {resource:<40} {ns or '(cluster)':<22} {'yes' if got else 'no'}"
        )
        if got != expected:
            failures.append(rows[-1] + f"   EXPECTED {'yes' if expected else 'no'}")
    print("\nRBAC matrix checked (user verb resource namespace → allowed):")
    print("\n".join(rows))
    assert not failures, "\n".join(failures)


def test_viewer_reading_secrets_is_forbidden_by_the_api_server(
    kube: Kube, pair: tuple[str, str]
) -> None:
    a, _ = pair
    result = kubectl(kube.kubeconfig, "get", "secrets", "-n", f"ws-{a}", as_user=f"{PREFIX}vera")
    assert result.returncode != 0
    assert "Forbidden" in result.stderr


def test_researcher_cannot_grant_a_dataset_but_a_steward_can(
    kube: Kube, pair: tuple[str, str]
) -> None:
    a, _ = pair
    grant = (
        "apiVersion: havre.io/v1alpha1\nkind: DatasetGrant\n"
        f"metadata: {{name: {a}-snds}}\n"
        f"spec: {{workspace: {a}, dataset: snds-sample, legalBasis: MR-004, "
        "expires: '2030-01-01T00:00:00Z'}\n"
    )
    denied = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=grant, as_user=f"{PREFIX}rita")
    assert denied.returncode != 0 and "Forbidden" in denied.stderr
    allowed = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=grant, as_user=f"{PREFIX}sam")
    assert allowed.returncode == 0, allowed.stderr
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{a}-snds", "--ignore-not-found")
