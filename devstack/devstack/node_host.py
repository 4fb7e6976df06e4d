"""The node's network namespace and its one link to the machine.

The node (containerd, kubelet, kube-proxy, the NetworkPolicy enforcer, every pod) lives in
a network namespace held by one process (``pause`` under ``unshare --net``), so its bridge,
its iptables rules and its ``net.*`` sysctls are its own and vanish with it. The machine
keeps only, while the node runs:

- a veth pair ``havre<slot>h`` / ``havre<slot>n`` on the /30 link, with routes for the pod
  and Service ranges through it (never through the machine's default route);
- ``route_localnet`` on its own end of that pair, and an nftables table of its own
  (``ip havre-node-<slot>``) that forwards the platform's ports from ``host_address`` to
  127.0.0.1, where the platform's services listen.

Inside, the namespace has no default route (``unreachable``), the Service range is
``unreachable`` when kube-proxy has no rule for an address, and a filter drops anything
a pod sends outside the pod and Service ranges and the forwarded ports of the machine.
"""

from __future__ import annotations

import ipaddress
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from devstack.errors import ComponentError
from devstack.node_network import NodeNetwork

EGRESS_TABLE = "havre-egress"


def nsenter(holder: int) -> list[str]:
    """Command prefix that runs a program in the node's network namespace (only)."""
    return ["nsenter", f"--net=/proc/{holder}/ns/net", "--"]


def host_table(net: NodeNetwork) -> str:
    return f"havre-node-{net.slot}"


def _run(argv: Sequence[str], log: Path | None = None, check: bool = True) -> str:
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    if log is not None:
        with log.open("a") as out:
            out.write(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
    if check and result.returncode != 0:
        raise ComponentError("node", f"{' '.join(argv)}: {result.stderr.strip()}", log)
    return result.stdout


def check_ranges_free(net: NodeNetwork) -> None:
    """Refuse to start when another network of this machine already uses our ranges."""
    routes = _run(["ip", "-4", "route", "show"])
    for cidr in (net.pod_cidr, net.service_cidr, net.link):
        for line in routes.splitlines():
            dest = line.split()[0]
            if dest != "default" and "/" in dest and _overlaps(dest, str(cidr)):
                if net.host_veth in line.split():
                    continue
                raise ComponentError(
                    "node",
                    f"{cidr} overlaps this machine's route '{line.strip()}': another stack "
                    f"with a port offset of the same slot ({net.slot}) runs a node",
                )


def _overlaps(a: str, b: str) -> bool:
    return ipaddress.ip_network(a, strict=False).overlaps(ipaddress.ip_network(b))


def wait_own_namespace(holder: int, timeout: float = 10.0) -> None:
    """Wait until ``holder`` (``unshare --net``, just spawned) is in its new namespace:
    before that, a device moved "into its namespace" would land in the machine's."""
    ours = Path("/proc/self/ns/net").stat().st_ino
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{holder}/ns/net").stat().st_ino != ours:
                return
        except FileNotFoundError:
            break
        time.sleep(0.02)
    raise ComponentError("node", f"process {holder} did not enter a network namespace of its own")


def setup(net: NodeNetwork, holder: int, log: Path) -> None:
    """Link the node's namespace to the machine, route its ranges, forward the ports."""
    teardown_host(net, log)  # what a crashed run may have left
    wait_own_namespace(holder)
    inside = nsenter(holder)
    _run(["ip", "link", "add", net.host_veth, "type", "veth", "peer", "name", net.node_veth,
          "netns", str(holder)], log)  # fmt: skip
    _run(["ip", "addr", "add", f"{net.host_address}/30", "dev", net.host_veth], log)
    # Forwarded packets to 127.0.0.1 are accepted only on interfaces that allow it.
    _run(["sysctl", "-q", "-w", f"net.ipv4.conf.{net.host_veth}.route_localnet=1"], log)
    _run(["ip", "link", "set", net.host_veth, "up"], log)
    for cidr in (net.pod_cidr, net.service_cidr):
        _run(["ip", "route", "add", str(cidr), "via", net.node_address, "dev", net.host_veth], log)
    _nft(_host_rules(net), log)
    _run([*inside, "ip", "link", "set", "lo", "up"], log)
    _run([*inside, "ip", "addr", "add", f"{net.node_address}/30", "dev", net.node_veth], log)
    _run([*inside, "ip", "link", "set", net.node_veth, "up"], log)
    _run([*inside, "ip", "route", "add", "unreachable", str(net.service_cidr)], log)
    _run([*inside, "ip", "route", "add", "unreachable", "default"], log)
    for key in ("net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"):
        _run([*inside, "sysctl", "-q", "-w", key], log)
    _nft(_egress_rules(net), log, inside)


def _nft(rules: str, log: Path, prefix: Sequence[str] = ()) -> None:
    result = subprocess.run(
        [*prefix, "nft", "-f", "-"], input=rules, capture_output=True, text=True, timeout=60
    )
    with log.open("a") as out:
        out.write(f"$ {' '.join(prefix)} nft -f -\n{rules}{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise ComponentError("node", f"nft: {result.stderr.strip()}", log)


def _host_rules(net: NodeNetwork) -> str:
    """The machine's table: each platform port at ``host_address`` goes to 127.0.0.1."""
    lines = [
        f"table ip {host_table(net)} {{",
        "  chain forward-platform {",
        "    type nat hook prerouting priority dstnat; policy accept;",
    ]
    for port in sorted(net.forwarded_ports().values()):
        lines.append(
            f'    iifname "{net.host_veth}" ip daddr {net.host_address} tcp dport {port} '
            f"dnat to 127.0.0.1:{port}"
        )
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def _egress_rules(net: NodeNetwork) -> str:
    """The node's table: what pods may send to (before any NAT, so Service addresses too)."""
    ports = ", ".join(str(p) for p in sorted(net.forwarded_ports().values()))
    return "\n".join(
        [
            f"table ip {EGRESS_TABLE} {{",
            "  chain pods {",
            "    type filter hook prerouting priority mangle; policy accept;",
            f'    iifname != "{net.bridge}" accept',
            f"    ip daddr {{ {net.pod_cidr}, {net.service_cidr} }} accept",
            f"    ip daddr {net.host_address} tcp dport {{ {ports} }} accept",
            # Answers to connections the machine opened to a pod (Prometheus scraping a
            # coordinator's /metrics); a pod still opens nothing new towards the machine.
            f"    ip daddr {net.host_address} ct state established accept",
            '    counter drop comment "pod egress outside the platform"',
            "  }",
            "}",
            "",
        ]
    )


def egress_drops(holder: int) -> int:
    """Packets the node's egress filter dropped so far."""
    out = _run([*nsenter(holder), "nft", "list", "table", "ip", EGRESS_TABLE])
    for line in out.splitlines():
        if "counter packets" in line and "drop" in line:
            return int(line.split("counter packets", 1)[1].split()[0])
    return 0


def teardown_host(net: NodeNetwork, log: Path | None = None) -> None:
    """Remove what the machine holds for the node (the namespace goes with its processes)."""
    if net.host_veth in _run(["ip", "-o", "link", "show"], check=False):
        _run(["ip", "link", "delete", net.host_veth], log, check=False)  # routes go with it
    if host_table(net) in _run(["nft", "list", "tables"], check=False):
        _run(["nft", "delete", "table", "ip", host_table(net)], log, check=False)


def host_leftovers(net: NodeNetwork) -> list[str]:
    """What of this node is still on the machine (empty when it is clean)."""
    found = []
    if net.host_veth in _run(["ip", "-o", "link", "show"], check=False):
        found.append(f"link {net.host_veth}")
    if host_table(net) in _run(["nft", "list", "tables"], check=False):
        found.append(f"nftables table {host_table(net)}")
    for line in _run(["ip", "-4", "route", "show"], check=False).splitlines():
        dest = line.split()[0] if line.split() else ""
        if "/" in dest and any(_overlaps(dest, str(c)) for c in (net.pod_cidr, net.service_cidr)):
            found.append(f"route {line.strip()}")
    return found
