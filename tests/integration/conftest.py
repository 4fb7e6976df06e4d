"""Session fixtures that start the real local platform once, or reuse a running one.

``platform(name)`` makes sure one component of the devstack is serving and returns its
entry from stack.json (endpoints, credentials, file paths). Components this test session
started are stopped at its end; components that were already running are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack import stack
from devstack.paths import StackPaths
from devstack.tls import StackCA
from havre.kube.cluster import Cluster
from tests.integration.helpers import ROOT, OperatorProcess, kubectl

Platform = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="session")
def stack_paths() -> StackPaths:
    return StackPaths.from_env()


@pytest.fixture(scope="session")
def platform(stack_paths: StackPaths) -> Iterator[Platform]:
    started: list[str] = []

    def ensure(name: str) -> dict[str, Any]:
        result = stack.up(stack_paths, [name])
        started.extend(result.started)
        manifest = stack.read_manifest(stack_paths)
        assert manifest is not None, "stack.json missing after stack up"
        info: dict[str, Any] = manifest["components"][name]
        return info

    yield ensure
    if started:
        stack.down(stack_paths, started)


@dataclass(frozen=True)
class Kube:
    """The local API server, with Havre's CRDs, personas and admission policies installed."""

    kubeconfig: str
    cluster: Cluster


@pytest.fixture(scope="session")
def kube(platform: Platform) -> Kube:
    info = platform("kube")
    kubeconfig = str(info["kubeconfig"])
    applied = kubectl(kubeconfig, "apply", "--server-side", "-f", str(ROOT / "crds"))
    assert applied.returncode == 0, applied.stderr
    for crd in ("workspaces", "datasets", "datasetgrants"):
        done = kubectl(kubeconfig, "wait", "--for=condition=Established", f"crd/{crd}.havre.io")
        assert done.returncode == 0, done.stderr
    return Kube(kubeconfig=kubeconfig, cluster=Cluster.from_kubeconfig(kubeconfig))


@pytest.fixture(scope="session")
def minio(platform: Platform) -> dict[str, Any]:
    return platform("minio")


@pytest.fixture(scope="session")
def postgres(platform: Platform) -> dict[str, Any]:
    return platform("postgres")


@pytest.fixture(scope="session")
def keycloak(platform: Platform) -> dict[str, Any]:
    return platform("keycloak")


def install_platform_ca(kube: Kube, stack_paths: StackPaths) -> None:
    """The CA that signs workspaces' Trino certificates: the stack's own, as a Secret."""
    ca = StackCA(stack_paths.state)
    ca.ensure()
    kubectl(kube.kubeconfig, "create", "namespace", "havre-system")
    secret = kubectl(
        kube.kubeconfig,
        "create",
        "secret",
        "tls",
        "havre-platform-ca",
        "-n",
        "havre-system",
        f"--cert={ca.cert_path}",
        f"--key={ca.key_path}",
        "--dry-run=client",
        "-o",
        "yaml",
    )
    applied = kubectl(kube.kubeconfig, "apply", "-f", "-", stdin=secret.stdout)
    assert applied.returncode == 0, applied.stderr


def operator_env(
    minio: dict[str, Any], postgres: dict[str, Any], keycloak: dict[str, Any]
) -> dict[str, str]:
    """The operator's settings for the local platform. Trino's certificates also name
    localhost, where the tests start the rendered Trino."""
    return {
        "HAVRE_TRINO_ISSUER": keycloak["issuer"],
        "HAVRE_TRINO_JWKS_URL": keycloak["jwks_uri"],
        "HAVRE_TRINO_CA_BUNDLE_FILE": keycloak["ca"],
        "HAVRE_TRINO_EXTRA_DNS_NAMES": "localhost",
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_CATALOG_HOST": postgres["host"],
        "HAVRE_CATALOG_PORT": str(postgres["port"]),
        "HAVRE_CATALOG_USER": postgres["user"],
        "HAVRE_CATALOG_PASSWORD": postgres["password"],
    }


@pytest.fixture(scope="session")
def operator(
    kube: Kube,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    keycloak: dict[str, Any],
    stack_paths: StackPaths,
) -> Iterator[OperatorProcess]:
    """The operator against the local API server, object store, catalog database, with
    Trino rendered for each workspace."""
    install_platform_ca(kube, stack_paths)
    env = operator_env(minio, postgres, keycloak)
    proc = OperatorProcess(kube.kubeconfig, stack_paths.state / "logs" / "operator.log", env)
    proc.start()
    yield proc
    proc.stop()
