"""The stack's node runs pods from locally built images, and keeps their traffic on this machine."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import node_host
from devstack.components.node import HOLDER
from devstack.node_network import NodeNetwork
from devstack.paths import StackPaths
from devstack.process import pid_of
from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl, wait_for
from tests.integration.pods import create, exec_in, get, pod, wait_phase
from tests.integration.workspaces import unique

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def namespace(kube: Kube, node: dict[str, Any]) -> Iterator[str]:
    name = unique("node-test")
    assert kubectl(kube.kubeconfig, "create", "namespace", name).returncode == 0
    yield name
    kubectl(kube.kubeconfig, "delete", "namespace", name, "--wait=false")


def test_the_node_is_ready_and_built_from_the_control_planes_release(
    kube: Kube, node: dict[str, Any]
) -> None:
    obj = json.loads(kubectl(kube.kubeconfig, "get", "node", node["name"], "-o", "json").stdout)
    info = obj["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.34.4"  # kube-proxy is the same program
    assert info["containerRuntimeVersion"].startswith("containerd://1.6")
    ready = {c["type"]: c["status"] for c in obj["status"]["conditions"]}
    assert ready["Ready"] == "True"
    assert obj["spec"]["podCIDR"] == node["pod_cidr"]
    addresses = {a["type"]: a["address"] for a in obj["status"]["addresses"]}
    assert addresses["InternalIP"] == node["node_address"]


def test_pod_from_a_locally_built_image_runs_to_completion_and_its_logs_are_read(
    kube: Kube, node: dict[str, Any], namespace: str
) -> None:
    script = "import platform; print('hello from', platform.python_version())"
    create(
        kube.kubeconfig, pod("once", namespace, node["images"]["base"], ["python3", "-c", script])
    )
    done = wait_phase(kube.kubeconfig, "once", namespace, ("Succeeded", "Failed"))
    assert done["status"]["phase"] == "Succeeded", done["status"]
    logs = kubectl(kube.kubeconfig, "logs", "-n", namespace, "once")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.startswith("hello from 3.11"), logs.stdout


def test_exec_reaches_the_container_through_the_kubelet(
    kube: Kube, node: dict[str, Any], namespace: str
) -> None:
    create(kube.kubeconfig, pod("sleeper", namespace, node["images"]["base"], ["sleep", "600"]))
    wait_phase(kube.kubeconfig, "sleeper", namespace, ("Running",))
    assert exec_in(kube.kubeconfig, "sleeper", namespace, "cat", "/etc/debian_version")[:2] == "12"


def test_deployment_scales_up_and_down(kube: Kube, node: dict[str, Any], namespace: str) -> None:
    labels = {"app": "scaled"}
    template = pod("x", namespace, node["images"]["base"], ["sleep", "600"], labels=labels)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "scaled", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {**template["spec"], "restartPolicy": "Always"},
            },
        },
    }
    create(kube.kubeconfig, deployment)

    def available(count: int) -> Any:
        def probe() -> bool:
            obj = get(kube.kubeconfig, "deployment", "scaled", namespace)
            status = (obj or {}).get("status", {})
            running = kubectl(
                kube.kubeconfig, "get", "pods", "-n", namespace, "-l", "app=scaled", "-o", "name"
            ).stdout.split()
            return status.get("availableReplicas", 0) == count and len(running) == count

        return probe

    wait_for("one replica", available(1), timeout=120)
    kubectl(kube.kubeconfig, "scale", "deployment", "scaled", "-n", namespace, "--replicas=3")
    wait_for("three replicas", available(3), timeout=120)
    kubectl(kube.kubeconfig, "scale", "deployment", "scaled", "-n", namespace, "--replicas=1")
    wait_for("back to one replica", available(1), timeout=120)


def test_deleting_a_namespace_stops_its_pods(kube: Kube, node: dict[str, Any]) -> None:
    name = unique("node-gone")
    assert kubectl(kube.kubeconfig, "create", "namespace", name).returncode == 0
    create(kube.kubeconfig, pod("doomed", name, node["images"]["base"], ["sleep", "600"]))
    running = wait_phase(kube.kubeconfig, "doomed", name, ("Running",))
    container = running["status"]["containerStatuses"][0]["containerID"].split("//", 1)[1]
    assert _task_running(node, container)
    kubectl(kube.kubeconfig, "delete", "namespace", name, "--wait=false")
    wait_for(
        "the namespace and its pod to be gone",
        lambda: kubectl(kube.kubeconfig, "get", "namespace", name).returncode != 0,
        timeout=120,
    )
    assert not _task_running(node, container)


def _task_running(node: dict[str, Any], container: str) -> bool:
    """Whether containerd runs the container's process (read on the node, not the API)."""
    tasks = subprocess.run(
        ["ctr", "--address", node["containerd_socket"], "-n", "k8s.io", "tasks", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return any(line.split()[:1] == [container] and "RUNNING" in line for line in tasks.splitlines())


def test_pod_and_service_ranges_are_routed_only_to_the_node(
    node: dict[str, Any], stack_paths: StackPaths
) -> None:
    net = NodeNetwork(stack_paths.port_offset)
    holder = pid_of(HOLDER, stack_paths.state)
    assert holder is not None
    for cidr in (net.pod_cidr, net.service_cidr):
        # An address no pod or Service holds: the machine sends it to the node's link...
        unused = str(ipaddress.ip_network(cidr)[-2])
        route = _ip(["ip", "-4", "route", "get", unused])
        assert f"dev {net.host_veth}" in route, route
        assert f"via {net.node_address}" in route, route
    # ...and the node has no way out: the Service range without a rule, and everything
    # outside the node's own ranges, are unreachable there (never the machine's route).
    inside = node_host.nsenter(holder)
    table = _ip([*inside, "ip", "-4", "route", "show"])
    assert "unreachable default" in table and f"unreachable {net.service_cidr}" in table, table
    for address in (str(net.service_cidr[-2]), "198.51.100.7", "192.0.2.1"):
        result = subprocess.run(
            [*inside, "ip", "-4", "route", "get", address], capture_output=True, text=True
        )
        assert result.returncode != 0, (address, result.stdout)
        assert "No route to host" in result.stderr, (address, result.stderr)


def _ip(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def test_pod_egress_outside_the_platform_is_dropped(
    kube: Kube, node: dict[str, Any], namespace: str, stack_paths: StackPaths
) -> None:
    create(kube.kubeconfig, pod("egress", namespace, node["images"]["base"], ["sleep", "600"]))
    wait_phase(kube.kubeconfig, "egress", namespace, ("Running",))
    holder = pid_of(HOLDER, stack_paths.state)
    assert holder is not None
    machine = _ip(["ip", "-4", "route", "get", "192.0.2.1"]).split(" src ")[1].split()[0]
    before = node_host.egress_drops(holder)
    script = PROBE.replace("TARGETS", repr([(machine, 22), ("198.51.100.7", 443)]))
    answers = json.loads(exec_in(kube.kubeconfig, "egress", namespace, "python3", "-c", script))
    assert answers == {f"{machine}:22": "timeout", "198.51.100.7:443": "timeout"}, answers
    # The node's filter dropped them (counted), before any routing decision.
    assert node_host.egress_drops(holder) >= before + 2
    # The platform's forwarded ports at the machine's end of the link stay reachable.
    api = node["platform"]["apiserver"].split("/32:")
    script = PROBE.replace("TARGETS", repr([(api[0], int(api[1]))]))
    answers = json.loads(exec_in(kube.kubeconfig, "egress", namespace, "python3", "-c", script))
    assert answers == {f"{api[0]}:{api[1]}": "open"}, answers


#: Connect to each (host, port) at once; print {target: open|refused|timeout|error}.
PROBE = """
import json, socket, concurrent.futures as cf
def probe(target):
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect(target); return "open"
    except ConnectionRefusedError: return "refused"
    except socket.timeout: return "timeout"
    except OSError as e: return f"error {e.errno}"
    finally: s.close()
targets = TARGETS
with cf.ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps({f"{h}:{p}": r for (h, p), r in zip(targets, pool.map(probe, targets))}))
"""


def test_service_range_holds_thousands_of_cluster_ips(
    kube: Kube, node: dict[str, Any], namespace: str
) -> None:
    """The API server's Service range is the /18 (the old /24 filled at 250 workspaces):
    an address near its end is a valid ClusterIP."""
    service_range = ipaddress.ip_network(node["service_cidr"])
    assert service_range.num_addresses - 2 >= 16000
    address = str(service_range[-3])
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "far", "namespace": namespace},
        "spec": {"clusterIP": address, "ports": [{"port": 80}], "selector": {"app": "none"}},
    }
    create(kube.kubeconfig, service)
    got = get(kube.kubeconfig, "service", "far", namespace)
    assert got is not None and got["spec"]["clusterIP"] == address
