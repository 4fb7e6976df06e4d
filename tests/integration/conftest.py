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

from devstack import process, stack
from devstack.components.prometheus import operator_metrics_port
from devstack.federation import Federation, hub_paths
from devstack.federation import down as federation_down
from devstack.federation import up as federation_up
from devstack.havre_setup import install_api, operator_environment
from devstack.paths import StackPaths
from havre.external.catalogdb import CatalogDatabase
from havre.kube.cluster import Cluster
from tests.integration.catalogdb import ADMINS, Harness, admin_catalogs
from tests.integration.engine_workspace import EngineWorkspace, engine_workspace
from tests.integration.helpers import OperatorProcess
from tests.integration.identity import IdentityStack, ensure_minio_openid

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
def kube(platform: Platform, stack_paths: StackPaths) -> Kube:
    kubeconfig = str(platform("kube")["kubeconfig"])
    install_api(kubeconfig, stack_paths.state)
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


@pytest.fixture(scope="session")
def node(kube: Kube, platform: Platform) -> dict[str, Any]:
    """The stack's node (kubelet, containerd, kube-proxy, kube-router, CoreDNS): pods run."""
    return platform("node")


@pytest.fixture(scope="session")
def audit(platform: Platform, kube: Kube) -> dict[str, Any]:
    """The audit receiver (after the API, so it can read Workspaces), writing to MinIO."""
    return platform("audit")


@pytest.fixture(scope="session")
def operator(
    kube: Kube,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    keycloak: dict[str, Any],
    node: dict[str, Any],
    audit: dict[str, Any],
    stack_paths: StackPaths,
) -> Iterator[OperatorProcess]:
    """The operator against the local API server, object store, catalog database, with
    Trino rendered for each workspace (run by the node when it fits; test workspaces are
    sized so that it does not, see ``workspaces.wait_provisioned``), the audit trail on,
    and its /metrics where the stack's Prometheus scrapes."""
    env = operator_environment(
        {"minio": minio, "postgres": postgres, "keycloak": keycloak, "node": node, "audit": audit}
    )
    env["HAVRE_METRICS_PORT"] = str(operator_metrics_port(stack_paths.port_offset))
    proc = OperatorProcess(kube.kubeconfig, stack_paths.state / "logs" / "operator.log", env)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def engine(
    kube: Kube, operator: OperatorProcess, minio: dict[str, Any], postgres: dict[str, Any]
) -> Iterator[EngineWorkspace]:
    """A workspace whose Trino runs as pods (one per session: two small JVMs), with a
    granted dataset; see ``engine_workspace``."""
    with engine_workspace(kube.kubeconfig, kube.cluster, minio, postgres) as ws:
        print(f"\nworkspace {ws.name}: Trino pods Available {ws.start_seconds:.0f}s after apply")
        yield ws


@pytest.fixture(scope="session")
def identity_stack(
    kube: Kube,
    platform: Platform,
    keycloak: dict[str, Any],
    operator: OperatorProcess,
    stack_paths: StackPaths,
) -> IdentityStack:
    """Keycloak, the operator, and MinIO trusting the realm (restarted if it started first)."""
    minio = ensure_minio_openid(stack_paths)
    return IdentityStack(
        kube=platform("kube"),
        keycloak=keycloak,
        minio=minio,
        cluster=kube.cluster,
        kubeconfig=kube.kubeconfig,
        paths=stack_paths,
    )


# Catalog database clients, once per kind of admin (superuser, least-privileged).
@pytest.fixture(scope="module", params=ADMINS)
def catalogs(platform: Platform, request: pytest.FixtureRequest) -> Iterator[CatalogDatabase]:
    with admin_catalogs(platform("postgres"), request.param) as client:
        yield client


@pytest.fixture
def db(platform: Platform, catalogs: CatalogDatabase) -> Iterator[Harness]:
    with Harness(platform("postgres"), catalogs) as harness:
        yield harness


@pytest.fixture(scope="module")
def federation(stack_paths: StackPaths) -> Iterator[Federation]:
    """The local federation: a Karmada hub and members ``snc`` and ``hds``, each a stack of
    its own under this one. Stopped after the module (2.4 GiB, three control planes: not
    kept through the rest of the session) unless it was already running."""
    running = process.pid_of("kube", hub_paths(stack_paths).state) is not None
    try:
        fed = federation_up(stack_paths)
    except BaseException:
        if not running:
            federation_down(stack_paths)
        raise
    yield fed
    if not running:
        federation_down(stack_paths)
