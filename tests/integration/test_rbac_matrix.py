"""Who may do what, checked by the real authorizer with impersonated users.

Two workspaces A and B; members of A must not reach B, nobody reads A's Secrets, only a
data steward grants datasets, only an approver approves, and an owner edits only their own
Workspace.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from havre.api import names
from havre.kube.kinds import by_name
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import (
    apply,
    dataset,
    delete,
    unique,
    wait_conditions,
    workspace,
)

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
    # Kubernetes RBAC is the subject: its people need not exist in the identity provider
    # (Ready says UnknownMember for them; their bindings are in place all the same).
    wait_conditions(kube.cluster, a, ("Namespace", "Access"), timeout=120)
    wait_conditions(kube.cluster, b, ("Namespace", "Access"), timeout=120)
    personas = [
        ("rita", "havre-researcher"),
        ("sam", "havre-data-steward"),
        ("carla", "havre-approver"),
    ]
    for user, persona in personas:
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
        ("carla", "approve", f"workspaces.havre.io/{a}", None, True),
        ("ann", "approve", f"workspaces.havre.io/{a}", None, False),
        ("rita", "approve", f"workspaces.havre.io/{a}", None, False),
        ("sam", "approve", f"workspaces.havre.io/{a}", None, False),
        ("carla", "get", "secrets", ns_a, False),
        ("carla", "create", "datasetgrants.havre.io", None, False),
        ("sam", "grant", "datasets.havre.io/snds-sample", None, False),
        ("rita", "list", "sizeprofiles.havre.io", None, True),
        ("rita", "create", "sizeprofiles.havre.io", None, False),
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
    # Only the dataset's own steward grants it (see test_approval_admission.py).
    published = kubectl(
        kube.kubeconfig,
        "apply",
        "-f",
        "-",
        stdin=yaml.safe_dump(dataset(f"{a}-ds", "datasets", a, steward="sam")),
    )
    assert published.returncode == 0, published.stderr
    grant = (
        "apiVersion: havre.io/v1alpha1\nkind: DatasetGrant\n"
        f"metadata: {{name: {a}-snds}}\n"
        f"spec: {{workspace: {a}, dataset: {a}-ds, legalBasis: MR-004, "
        "expires: '2030-01-01T00:00:00Z'}\n"
    )
    denied = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=grant, as_user=f"{PREFIX}rita")
    assert denied.returncode != 0 and "Forbidden" in denied.stderr
    allowed = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=grant, as_user=f"{PREFIX}sam")
    assert allowed.returncode == 0, allowed.stderr
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{a}-snds", "--ignore-not-found")
    kubectl(kube.kubeconfig, "delete", "dataset.havre.io", f"{a}-ds", "--ignore-not-found")


def test_member_bindings_of_an_earlier_version_are_replaced_and_its_roles_pruned(
    kube: Kube, pair: tuple[str, str]
) -> None:
    """Before, members were bound to a Role rendered in the namespace; a binding's roleRef
    cannot change, so the operator replaces it, and prunes the Role."""
    a, _ = pair
    namespace = f"ws-{a}"
    labels = {"app.kubernetes.io/managed-by": "havre", "app.kubernetes.io/instance": a}
    old_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "havre-owner", "namespace": namespace, "labels": labels},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    name = names.role_binding("owner", "ann")
    old_binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "havre-owner"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "oidc:ann"}],
    }
    made = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=yaml.safe_dump(old_role))
    assert made.returncode == 0, made.stderr

    def old_binding_in_place() -> bool:
        # The operator watches its bindings and may restore its own between the delete and
        # the create: delete and create again until the earlier version's is the one there.
        kubectl(kube.kubeconfig, "delete", "rolebinding", name, "-n", namespace)
        made = kubectl(kube.kubeconfig, "create", "-f", "-", stdin=yaml.safe_dump(old_binding))
        return made.returncode == 0

    wait_for("the earlier version's binding created", old_binding_in_place, timeout=60)

    def replaced() -> bool:
        binding = kube.cluster.get(by_name("RoleBinding"), name, namespace)
        role = kube.cluster.get(by_name("Role"), "havre-owner", namespace)
        return (
            binding is not None
            and binding["roleRef"]["kind"] == "ClusterRole"
            and binding["roleRef"]["name"] == "havre-ws-owner"
            and role is None
        )

    # generous: the session operator may be busy with other modules' workspaces
    wait_for("the old binding replaced and the old Role pruned", replaced, timeout=180)
    assert can(kube, "ann", "delete", "pods", namespace)
