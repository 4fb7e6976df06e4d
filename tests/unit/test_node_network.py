"""Each stack's node gets private ranges sized for 1,000 workspaces, clear of this machine's."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import yaml

from devstack import node_host
from devstack.node_config import NodePaths, cni_config, kubelet_config
from devstack.node_network import FORWARDED_BASE_PORTS, NodeNetwork

HELPER_OFFSETS = [0, 610, 1220, 1830, 2440, 3050, 3660, 4270, 4880]
RESOLVER = ipaddress.ip_address("10.255.255.53")


def test_ranges_hold_a_thousand_workspaces_with_room_to_spare() -> None:
    net = NodeNetwork(1830)
    # One ClusterIP per workspace (the discovery Service is headless), plus the system's.
    assert net.service_cidr.num_addresses - 2 > 10 * 1000
    # A coordinator and two workers per workspace, and a rolling update's extra pods.
    assert net.pod_cidr.num_addresses - 2 > 10 * 3000


def test_ranges_are_private_disjoint_and_clear_of_the_machines_resolver() -> None:
    for offset in HELPER_OFFSETS:
        net = NodeNetwork(offset)
        blocks = (net.pod_cidr, net.service_cidr, net.link)
        for block in blocks:
            assert block.is_private and block.subnet_of(net.block)
            assert RESOLVER not in block
        assert not net.pod_cidr.overlaps(net.service_cidr)
        assert not net.link.overlaps(net.pod_cidr) and not net.link.overlaps(net.service_cidr)


def test_every_helpers_stack_and_its_extra_control_planes_get_their_own_slot() -> None:
    offsets = [base + extra for base in HELPER_OFFSETS for extra in (0, 20, 40, 60)]
    slots = [NodeNetwork(offset).slot for offset in offsets]
    assert len(set(slots)) == len(slots)


def test_addresses_follow_the_layout() -> None:
    net = NodeNetwork(1830)
    assert str(net.pod_cidr) == "10.247.0.0/17"
    assert str(net.service_cidr) == "10.247.128.0/18"
    assert (net.host_address, net.node_address) == ("10.247.192.1", "10.247.192.2")
    assert net.kubernetes_service_ip == "10.247.128.1"
    assert net.dns_service_ip == "10.247.128.10"
    assert len(net.host_veth) <= 15 and len(net.node_veth) <= 15 and len(net.bridge) <= 15


def test_platform_endpoints_are_the_host_address_on_offset_ports() -> None:
    net = NodeNetwork(610)
    assert net.forwarded_ports() == {k: v + 610 for k, v in FORWARDED_BASE_PORTS.items()}
    assert net.endpoint("minio") == f"{net.host_address}/32:{19000 + 610}"


def test_every_forwarded_port_is_the_base_port_its_component_listens_on() -> None:
    from devstack.components import audit, keycloak, kube, minio, postgres

    listened = {
        "kube-apiserver": kube.APISERVER_PORT,
        "minio": minio.API_PORT,
        "postgres": postgres.BASE_PORT,
        "keycloak": keycloak.HTTPS_PORT,
        "audit": audit.BASE_PORT,
    }
    assert listened == FORWARDED_BASE_PORTS


def test_pods_get_addresses_from_the_pod_range_and_state_under_the_stack(tmp_path: Path) -> None:
    net = NodeNetwork(1830)
    paths = NodePaths(tmp_path, net.slot)
    cni = json.loads(cni_config(paths, net))
    bridge = cni["plugins"][0]
    assert bridge["bridge"] == net.bridge and bridge["ipMasq"] is False
    (range_,) = bridge["ipam"]["ranges"][0]
    assert range_ == {"subnet": str(net.pod_cidr), "gateway": net.bridge_address}
    assert bridge["ipam"]["dataDir"].startswith(str(tmp_path))


def test_kubelet_authenticates_callers_and_writes_nothing_outside_the_stack(
    tmp_path: Path,
) -> None:
    net = NodeNetwork(1830)
    paths = NodePaths(tmp_path, net.slot)
    ca = tmp_path / "ca.pem"
    config = yaml.safe_load(kubelet_config(paths, net, ca=ca, serving=(ca, ca)))
    assert config["authentication"]["anonymous"] == {"enabled": False}
    assert config["authentication"]["webhook"] == {"enabled": True}
    assert config["authorization"] == {"mode": "Webhook"}
    assert config["readOnlyPort"] == 0
    assert config["cgroupRoot"] == net.cgroup_root
    for key in ("podLogsDir", "volumePluginDir"):
        assert config[key].startswith(str(tmp_path)), key
    assert config["clusterDNS"] == [net.dns_service_ip]


def test_node_filter_lets_pods_answer_the_machine_but_open_nothing_towards_it() -> None:
    net = NodeNetwork(1220)
    rules = node_host._egress_rules(net)
    # Answers to connections the machine opened (Prometheus scraping a coordinator)...
    assert f"ip daddr {net.host_address} ct state established accept" in rules
    # ...and only to the machine's end of the link; anything new still ends in the drop.
    assert rules.count("ct state") == 1
    assert rules.index("ct state established") < rules.index("counter drop")
