"""The addresses of a stack's node, all private to this machine and derived from its port offset.

The node runs in a network namespace of its own (see ``node_host``): its bridge, pods,
kube-proxy and NetworkPolicy rules never touch the machine's own namespace. The machine
reaches it through one veth pair, a /30 "link" (machine side ``host_address``, node side
``node_address``), and routes for the pod and Service ranges through that link only.

Each stack gets one 10.X.0.0/16, X = 64 + (offset // 10) % 190 (10.64 to 10.253, clear of
this machine's resolver in 10.255/16), laid out as:

- pods ``10.X.0.0/17``: 32,766 addresses. 1,000 workspaces with a coordinator and two
  workers each are 3,000 pods; the range holds ten times that, and rolling updates.
- Services ``10.X.128.0/18``: 16,382 ClusterIPs. Each workspace has one (``trino``; the
  discovery Service is headless): 1,000 workspaces use 6% of it.
- link ``10.X.192.0/30``.

The platform's own services (API server, MinIO, PostgreSQL, Keycloak…) listen on the
machine's 127.0.0.1; pods and the node reach them at ``host_address`` on the same ports,
which the machine forwards to 127.0.0.1 (``forwarded_ports``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

#: Base ports (before the stack's offset) of the platform services pods may reach.
FORWARDED_BASE_PORTS = {
    "kube-apiserver": 16443,
    "minio": 19000,
    "postgres": 15432,
    "keycloak": 18543,
    # The audit receiver (devstack/components/audit.py BASE_PORT): Trino pods send it events.
    "audit": 25543,
}
_FIRST_SECOND_OCTET = 64
_SLOTS = 190


@dataclass(frozen=True)
class NodeNetwork:
    """Every address and name of one stack's node network."""

    offset: int

    @property
    def slot(self) -> int:
        """0 to 189: which 10.X.0.0/16 this stack uses."""
        return (self.offset // 10) % _SLOTS

    @property
    def block(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"10.{_FIRST_SECOND_OCTET + self.slot}.0.0/16")

    def _sub(self, offset: int, prefix: int) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network((int(self.block.network_address) + offset, prefix))

    @property
    def pod_cidr(self) -> ipaddress.IPv4Network:
        return self._sub(0, 17)

    @property
    def service_cidr(self) -> ipaddress.IPv4Network:
        return self._sub(128 << 8, 18)

    @property
    def link(self) -> ipaddress.IPv4Network:
        return self._sub(192 << 8, 30)

    @property
    def host_address(self) -> str:
        """The machine's end of the link: where pods reach the platform's services."""
        return str(self.link.network_address + 1)

    @property
    def node_address(self) -> str:
        """The node's InternalIP: the kubelet's address, on the node's end of the link."""
        return str(self.link.network_address + 2)

    @property
    def bridge_address(self) -> str:
        """The pods' gateway, on the node's bridge."""
        return str(self.pod_cidr.network_address + 1)

    @property
    def kubernetes_service_ip(self) -> str:
        return str(self.service_cidr.network_address + 1)

    @property
    def dns_service_ip(self) -> str:
        """The cluster DNS Service's ClusterIP (CoreDNS)."""
        return str(self.service_cidr.network_address + 10)

    @property
    def bridge(self) -> str:
        """The CNI bridge's name (inside the node's namespace)."""
        return f"havre{self.slot}"

    @property
    def host_veth(self) -> str:
        """The machine's end of the link (at most 15 characters)."""
        return f"havre{self.slot}h"

    @property
    def node_veth(self) -> str:
        return f"havre{self.slot}n"

    @property
    def nat_chain(self) -> str:
        """The machine's iptables nat chain that forwards the platform's ports."""
        return f"HAVRE-NODE-{self.slot}"

    @property
    def cni_network(self) -> str:
        return f"havre-{self.slot}"

    @property
    def cgroup_root(self) -> str:
        """The kubelet's cgroup root: every pod's cgroup is below it."""
        return f"/havre-{self.slot}"

    def forwarded_ports(self) -> dict[str, int]:
        """Service name -> port (offset applied) forwarded from ``host_address`` to 127.0.0.1."""
        return {name: base + self.offset for name, base in FORWARDED_BASE_PORTS.items()}

    def endpoint(self, service: str) -> str:
        """``CIDR:PORT`` of a platform service as pods reach it (the operator's setting)."""
        return f"{self.host_address}/32:{self.forwarded_ports()[service]}"
