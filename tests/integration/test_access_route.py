"""With an access route configured, the operator gives each workspace a route to its Trino
(here an Ingress, a built-in kind), names the route's host in Trino's certificate and in
the status, and lets only the gateway's namespace in on Trino's port."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509

from devstack.havre_setup import operator_environment
from devstack.paths import StackPaths
from havre.kube.kinds import KINDS, by_name
from havre.pipeline.render.trino_workloads import TLS_SECRET
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import apply, delete, unique, wait_provisioned, workspace

pytestmark = pytest.mark.integration

GATEWAY_NAMESPACE = "havre-ingress"
INGRESS = KINDS[("networking.k8s.io/v1", "Ingress")]


@pytest.fixture(scope="module")
def routed_operator(
    kube: Kube,
    operator: OperatorProcess,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    keycloak: dict[str, Any],
    stack_paths: StackPaths,
) -> Iterator[OperatorProcess]:
    operator.stop()  # one operator at a time
    env = {
        **operator_environment({"minio": minio, "postgres": postgres, "keycloak": keycloak}),
        "HAVRE_ACCESS_ROUTE": "ingress",
        "HAVRE_ACCESS_HOSTNAME": "{workspace}.trino.havre.test",
        "HAVRE_ACCESS_INGRESS_CLASS": "passthrough",
        "HAVRE_GATEWAY_NAMESPACE": GATEWAY_NAMESPACE,
    }
    proc = OperatorProcess(kube.kubeconfig, stack_paths.state / "logs" / "operator-route.log", env)
    proc.start()
    yield proc
    proc.stop()
    operator.start()


def _certificate_names(kube: Kube, namespace: str) -> list[str]:
    secret = kube.cluster.get(by_name("Secret"), TLS_SECRET, namespace)
    assert secret is not None
    pem = base64.b64decode(secret["data"]["tls-combined.pem"])
    cert = x509.load_pem_x509_certificates(pem)[0]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return list(san.get_values_for_type(x509.DNSName))


def test_workspace_gets_an_ingress_to_its_trino_named_in_its_certificate(
    kube: Kube, routed_operator: OperatorProcess
) -> None:
    name = unique("route")
    apply(kube.kubeconfig, workspace(name))
    try:
        obj = wait_provisioned(kube.cluster, name, timeout=90)
        namespace = f"ws-{name}"
        host = f"{name}.trino.havre.test"
        assert obj["status"]["endpoints"]["trinoExternal"] == f"https://{host}"

        ingress = wait_for(
            "the workspace's Ingress", lambda: kube.cluster.get(INGRESS, "trino", namespace)
        )
        assert ingress["spec"]["ingressClassName"] == "passthrough"
        [rule] = ingress["spec"]["rules"]
        assert rule["host"] == host
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "trino", "port": {"number": 8443}}
        assert "tls" not in ingress["spec"]  # TLS ends at Trino, not at the controller

        assert host in _certificate_names(kube, namespace)
        policy = kube.cluster.get(
            by_name("NetworkPolicy"), "havre-allow-gateway-to-trino", namespace
        )
        assert policy is not None
        [allowed] = policy["spec"]["ingress"]
        assert allowed["from"] == [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": GATEWAY_NAMESPACE}
                }
            }
        ]
    finally:
        delete(kube.kubeconfig, name)


def test_a_route_deleted_by_hand_is_restored(kube: Kube, routed_operator: OperatorProcess) -> None:
    name = unique("route")
    apply(kube.kubeconfig, workspace(name))
    try:
        wait_provisioned(kube.cluster, name, timeout=90)
        namespace = f"ws-{name}"
        wait_for("the Ingress", lambda: kube.cluster.get(INGRESS, "trino", namespace))
        removed = kubectl(kube.kubeconfig, "delete", "ingress", "trino", "-n", namespace)
        assert removed.returncode == 0, removed.stderr
        wait_for(
            "the Ingress restored by the next audit (HAVRE_AUDIT_INTERVAL 30 s, ±20 %)",
            lambda: kube.cluster.get(INGRESS, "trino", namespace),
            timeout=120,
        )
    finally:
        delete(kube.kubeconfig, name)
