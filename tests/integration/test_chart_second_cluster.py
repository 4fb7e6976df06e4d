"""A release that owns the whole API, on a second local control plane (port offset +20)
beside the stack's: `helm install` creates the CRDs, personas, admission policies and size
profiles there; the operator, with the release's service account and settings, provisions a
workspace; `helm uninstall` removes the operator's objects and keeps the API, the workspace
and its namespace. Nothing of either cluster's release clashes with the other.

The second control plane has no node: the release's pods stay pending, and the operator
runs beside it as a process with the release's service-account token and settings file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import stack
from devstack.paths import StackPaths
from havre.kube.cluster import Cluster
from havre.kube.kinds import Kind, by_name
from tests.integration.chart import CHART, ChartTools, chart_tools, documents, settings_file
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import OperatorProcess, service_account_kubeconfig
from tests.integration.workspaces import apply, delete, unique, wait_ready, workspace

pytestmark = pytest.mark.integration

NAMESPACE = "havre"
RELEASE = "havre"
CRD = Kind(
    "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False
)
POLICY = Kind(
    "admissionregistration.k8s.io/v1",
    "ValidatingAdmissionPolicy",
    "validatingadmissionpolicies",
    False,
)
API_CRDS = ("workspaces", "datasets", "datasetgrants", "sizeprofiles")


@dataclass(frozen=True)
class Second:
    kubeconfig: str
    cluster: Cluster
    tools: ChartTools


@pytest.fixture(scope="module")
def second(
    kube: Kube,
    platform: Platform,
    stack_paths: StackPaths,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Second]:
    tools = chart_tools(platform("helm"), platform("kubeconform"), platform("ct"))
    paths = StackPaths(
        state=tmp_path_factory.mktemp("second-plane"), port_offset=stack_paths.port_offset + 20
    )
    try:
        stack.up(paths, ["kube"])
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        kubeconfig = str(manifest["components"]["kube"]["kubeconfig"])
        yield Second(kubeconfig, Cluster.from_kubeconfig(kubeconfig), tools)
    finally:
        assert stack.down(paths) == []


def _helm(second: Second, *args: str) -> str:
    result = second.tools.helm_cmd("--kubeconfig", second.kubeconfig, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_release_owning_the_api_installs_provisions_and_uninstalls_keeping_the_api(
    second: Second,
    kube: Kube,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    stack_paths: StackPaths,
    tmp_path: Path,
) -> None:
    values = {
        "objectStore": {
            "enabled": True,
            "url": minio["url"],
            "credentialsSecret": {"name": "object-store-admin"},
            "egress": {"cidr": "127.0.0.1/32", "port": 9000},
        },
        "catalogDatabase": {
            "enabled": True,
            "host": postgres["host"],
            "port": int(postgres["port"]),
            "credentialsSecret": {"name": "catalog-database-admin"},
            "egress": {"cidr": "127.0.0.1/32", "port": 5432},
        },
    }
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    k = second.kubeconfig
    _helm(second, "install", RELEASE, str(CHART), "-n", NAMESPACE, "--create-namespace",
          "-f", str(values_file), "--timeout", "5m")  # fmt: skip
    for crd in API_CRDS:
        assert second.cluster.get(CRD, f"{crd}.havre.io") is not None
    assert second.cluster.get(by_name("SizeProfile"), "standard") is not None
    assert second.cluster.get(POLICY, "havre-operator-scope") is not None
    # The stack's own control plane holds none of this release's objects.
    assert kube.cluster.get(by_name("ClusterRole"), f"{RELEASE}-operator") is None

    # The operator as this release runs it: its service account, its settings file.
    rendered = _helm(second, "get", "manifest", RELEASE, "-n", NAMESPACE)
    config = tmp_path / "config.yaml"
    config.write_text(settings_file(rendered))
    token = service_account_kubeconfig(k, tmp_path / "sa.kubeconfig", NAMESPACE, RELEASE)
    # The Secrets' values as the chart's Deployment passes them, and the CA bundles' paths
    # on this machine instead of the mounted ConfigMaps.
    env = {
        "HAVRE_CONFIG": str(config),
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "HAVRE_CATALOG_USER": postgres["user"],
        "HAVRE_CATALOG_PASSWORD": postgres["password"],
        "HAVRE_CATALOG_CA_FILE": postgres["ca"],
    }
    proc = OperatorProcess(token, stack_paths.state / "logs" / "operator-second.log", env)
    proc.start()
    name = unique("second")
    try:
        apply(k, workspace(name))
        ready = wait_ready(second.cluster, name, timeout=180)
        assert ready["status"]["namespace"] == f"ws-{name}"
    finally:
        proc.stop()

    _helm(second, "uninstall", RELEASE, "-n", NAMESPACE, "--wait")
    assert second.cluster.get(by_name("ClusterRole"), f"{RELEASE}-operator") is None
    for crd in API_CRDS:
        assert second.cluster.get(CRD, f"{crd}.havre.io") is not None
    assert second.cluster.get(POLICY, "havre-operator-scope") is not None
    assert second.cluster.get(by_name("SizeProfile"), "standard") is not None
    assert second.cluster.get(by_name("Workspace"), name) is not None
    assert second.cluster.get(by_name("Namespace"), f"ws-{name}") is not None
    assert [d for d in documents(rendered) if d["kind"] == "Deployment"]
    delete(k, name)
