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
from tests.integration.helpers import OperatorProcess, kubectl
from tests.integration.workspaces import condition, delete, unique, wait_provisioned, workspace

pytestmark = pytest.mark.integration


def service_account_kubeconfig(kube: Kube, path: Path) -> str:
    """A kubeconfig that authenticates as havre-system/havre-operator with a bound token."""
    token = kubectl(
        kube.kubeconfig,
        "create",
        "token",
        "havre-operator",
        "-n",
        "havre-system",
        "--duration=1h",
    )
    assert token.returncode == 0, token.stderr
    admin = yaml.safe_load(Path(kube.kubeconfig).read_text())
    cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": "havre-operator", "user": {"token": token.stdout.strip()}}],
        "contexts": [
            {"name": "operator", "context": {"cluster": cluster["name"], "user": "havre-operator"}}
        ],
        "current-context": "operator",
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return str(path)


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
    kubeconfig = service_account_kubeconfig(kube, tmp_path / "operator.kubeconfig")
    for verb, resource in [("create", "pods"), ("*", "*"), ("delete", "namespaces")]:
        answer = kubectl(kubeconfig, "auth", "can-i", verb, resource, "-n", "kube-system")
        assert answer.stdout.strip() == "no", (verb, resource, answer.stdout, answer.stderr)
    proc = OperatorProcess(
        kubeconfig,
        stack_paths.state / "logs" / "operator-sa.log",
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
    delete(kube.kubeconfig, name)
