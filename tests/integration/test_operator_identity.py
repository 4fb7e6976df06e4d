"""The operator does its whole job as its own service account, with crds/operator-rbac.yaml
and nothing more: no cluster-admin needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.havre_setup import operator_environment
from devstack.paths import StackPaths
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, service_account_kubeconfig
from tests.integration.workspaces import condition, delete, unique, wait_provisioned, workspace

pytestmark = pytest.mark.integration


@pytest.fixture
def least_privileged_operator(
    kube: Kube,
    operator: OperatorProcess,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    keycloak: dict[str, Any],
    stack_paths: StackPaths,
    tmp_path: Path,
) -> Iterator[OperatorProcess]:
    operator.stop()  # one operator at a time
    kubeconfig = service_account_kubeconfig(kube.kubeconfig, tmp_path / "operator.kubeconfig")
    for verb, resource in [("create", "pods"), ("*", "*"), ("delete", "namespaces")]:
        answer = kubectl(kubeconfig, "auth", "can-i", verb, resource, "-n", "kube-system")
        assert answer.stdout.strip() == "no", (verb, resource, answer.stdout, answer.stderr)
    log = stack_paths.state / "logs" / "operator-sa.log"
    log.unlink(missing_ok=True)  # the test reads this run's log alone
    proc = OperatorProcess(
        kubeconfig,
        log,
        operator_environment({"minio": minio, "postgres": postgres, "keycloak": keycloak}),
    )
    proc.start()
    yield proc
    proc.stop()
    operator.start()


def test_operator_provisions_a_workspace_as_its_own_service_account(
    kube: Kube, least_privileged_operator: OperatorProcess
) -> None:
    name = unique("sa")
    applied = kubectl(kube.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(workspace(name)))
    assert applied.returncode == 0, applied.stderr
    obj = wait_provisioned(kube.cluster, name, timeout=60)
    for kind in ("Namespace", "Storage", "Catalog"):
        cond = condition(obj, kind)
        assert cond is not None and cond["status"] == "True", (kind, cond)
    # Read from the Trino Deployments' status (which its identity may read): the test
    # workspace's Trino never fits the test node, so the Deployment's own reason shows.
    engine = condition(obj, "QueryEngine")
    assert engine is not None and engine["reason"] != "Configured", engine
    # Its cluster-wide watch of the Trino Deployments (QueryEngine) is allowed too.
    refused = [
        line
        for line in least_privileged_operator.log.read_text().splitlines()
        if "deployments" in line and ("403" in line or "Forbidden" in line)
    ]
    assert refused == [], refused[:3]
    delete(kube.kubeconfig, name)


@pytest.fixture(scope="module")
def operator_token(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A kubeconfig with the operator's own service-account token (no operator running)."""
    return service_account_kubeconfig(
        kube.kubeconfig, tmp_path_factory.mktemp("sa") / "operator.kubeconfig"
    )


@pytest.fixture(scope="module")
def foreign_namespace(kube: Kube) -> Iterator[str]:
    """A ws-* namespace that Havre does not manage, holding a Secret."""
    name = unique("ws-foreign")
    assert kubectl(kube.kubeconfig, "create", "namespace", name).returncode == 0
    made = kubectl(
        kube.kubeconfig, "create", "secret", "generic", "kept", "-n", name, "--from-literal=k=v"
    )
    assert made.returncode == 0, made.stderr
    yield name
    kubectl(kube.kubeconfig, "delete", "namespace", name, "--wait=false")


def test_operator_token_is_refused_on_secrets_outside_its_namespaces(
    kube: Kube, operator_token: str, foreign_namespace: str
) -> None:
    for args in (
        ["get", "secret", "kept", "-n", foreign_namespace],
        ["get", "secrets", "-A"],
        ["get", "secrets", "-n", "havre-system"],
        ["get", "secrets", "-n", "kube-system"],
    ):
        result = kubectl(operator_token, *args)
        assert result.returncode != 0 and "Forbidden" in result.stderr, (args, result.stdout)
    # The platform CA is the one Secret it reads outside workspace namespaces.
    ca = kubectl(operator_token, "get", "secret", "havre-platform-ca", "-n", "havre-system")
    assert ca.returncode == 0, ca.stderr


def test_operator_token_reads_deployments_everywhere_and_writes_none_outside_its_namespaces(
    kube: Kube, operator_token: str, foreign_namespace: str
) -> None:
    """The watch behind QueryEngine is cluster-wide; writes need havre-operator-workspace,
    bound only in the namespaces the operator made."""
    for verb in ("list", "watch"):
        answer = kubectl(operator_token, "auth", "can-i", verb, "deployments.apps", "-A")
        assert answer.stdout.strip() == "yes", (verb, answer.stdout, answer.stderr)
    listed = kubectl(operator_token, "get", "deployments", "-A", "-o", "name")
    assert listed.returncode == 0, listed.stderr
    for verb in ("get", "create", "patch", "delete"):
        for namespace in (foreign_namespace, "kube-system"):
            answer = kubectl(
                operator_token, "auth", "can-i", verb, "deployments.apps", "-n", namespace
            )
            assert answer.stdout.strip() == "no", (verb, namespace, answer.stdout)


def test_operator_token_cannot_take_over_a_namespace_it_does_not_manage(
    kube: Kube, operator_token: str, foreign_namespace: str
) -> None:
    label = kubectl(
        operator_token,
        "label",
        "namespace",
        foreign_namespace,
        "app.kubernetes.io/managed-by=havre",
    )
    assert label.returncode != 0
    assert f"namespace {foreign_namespace} is not its own" in label.stderr
    binding = kubectl(
        operator_token,
        "create",
        "rolebinding",
        "havre-operator",
        "--clusterrole=havre-operator-workspace",
        "--serviceaccount=havre-system:havre-operator",
        "-n",
        foreign_namespace,
    )
    assert binding.returncode != 0
    only = "RoleBindings only in namespaces labelled app.kubernetes.io/managed-by=havre"
    assert f"{only}; {foreign_namespace} is not one" in binding.stderr
    other = kubectl(
        operator_token,
        "create",
        "namespace",
        unique("not-a-workspace"),
    )
    assert other.returncode != 0 and "is not its own" in other.stderr


def test_operator_token_binds_only_the_member_roles(kube: Kube, operator_token: str) -> None:
    name = unique("ws-managed")
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "havre"}},
    }
    made = kubectl(operator_token, "create", "-f", "-", stdin=yaml.safe_dump(manifest))
    assert made.returncode == 0, made.stderr
    try:
        # RBAC refuses what it does not hold; admission refuses what it holds but does not
        # hand out (every authenticated user holds system:basic-user).
        for role, refusal in [
            ("cluster-admin", "attempting to grant RBAC permissions not currently held"),
            ("system:basic-user", "binds only the ClusterRoles havre-ws-viewer"),
        ]:
            result = kubectl(
                operator_token, "create", "rolebinding", "x", f"--clusterrole={role}",
                "--user=oidc:mallory", "-n", name,
            )  # fmt: skip
            assert result.returncode != 0 and refusal in result.stderr, result.stderr
        to_self = kubectl(
            operator_token, "create", "rolebinding", "y", "--clusterrole=havre-operator-workspace",
            "--user=oidc:mallory", "-n", name,
        )  # fmt: skip
        assert to_self.returncode != 0 and "to itself" in to_self.stderr
        viewer = kubectl(
            operator_token, "create", "rolebinding", "z", "--clusterrole=havre-ws-viewer",
            "--user=oidc:vera", "-n", name,
        )  # fmt: skip
        assert viewer.returncode == 0, viewer.stderr
        escalate = kubectl(
            operator_token, "create", "clusterrolebinding", "havre-ws-evil-owners",
            "--clusterrole=cluster-admin", "--user=oidc:mallory",
        )  # fmt: skip
        assert escalate.returncode != 0
    finally:
        kubectl(kube.kubeconfig, "delete", "namespace", name, "--wait=false")
