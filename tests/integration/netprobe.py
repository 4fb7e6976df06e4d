"""Real packets between pods: probe pods, what a workspace's policies say, and the matrix.

A probe pod runs a Python script (through ``kubectl exec``) that opens TCP connections to
every target at once and resolves names through the cluster DNS, and prints the outcome of
each as JSON: ``open``, ``refused`` (a NetworkPolicy rejects), ``timeout`` (dropped) or
``resolved``/``unresolved``.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from tests.integration.pods import exec_in

PROBE_SCRIPT = """
import json, socket, sys, concurrent.futures as cf
targets = json.load(sys.stdin)
def probe(t):
    if t["kind"] == "dns":
        try:
            socket.getaddrinfo(t["host"], None); return "resolved"
        except OSError: return "unresolved"
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect((t["host"], t["port"])); return "open"
    except ConnectionRefusedError: return "refused"
    except socket.timeout: return "timeout"
    except OSError as e: return f"error {e.errno}"
    finally: s.close()
with cf.ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(list(pool.map(probe, targets))))
"""
#: Listens on each port given, accepts and closes (a stand-in for a service).
LISTEN_SCRIPT = """
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept(); c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),)).start()
"""


@dataclass(frozen=True)
class Target:
    """One destination of the matrix."""

    label: str
    host: str
    port: int = 0
    kind: str = "tcp"  # or "dns": resolve ``host``

    def as_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "kind": self.kind}


def probe(kubeconfig: str, pod: str, namespace: str, targets: list[Target]) -> list[str]:
    """The outcome of each target, as seen from inside ``namespace/pod``."""
    stdin = json.dumps([t.as_json() for t in targets])
    out = exec_in(kubeconfig, pod, namespace, "python3", "-c", PROBE_SCRIPT, stdin=stdin)
    results: list[str] = json.loads(out)
    return results


def reached(outcome: str) -> bool:
    return outcome in ("open", "resolved")


def egress_allows(policies: list[dict[str, Any]], address: str, port: int) -> bool:
    """Whether a namespace's NetworkPolicies let its pods open TCP to ``address:port``
    outside the cluster (ipBlock peers only; a pod with no egress policy may go anywhere)."""
    egress = [p for p in policies if "Egress" in p["spec"].get("policyTypes", [])]
    if not egress:
        return True
    ip = ipaddress.ip_address(address)
    for policy in egress:
        for rule in policy["spec"].get("egress") or []:
            peers = rule.get("to")
            ports = rule.get("ports")
            peer_ok = peers is None or any(
                "ipBlock" in peer
                and ip in ipaddress.ip_network(peer["ipBlock"]["cidr"])
                and not any(
                    ip in ipaddress.ip_network(x) for x in peer["ipBlock"].get("except", [])
                )
                for peer in peers
            )
            port_ok = ports is None or any(
                p.get("protocol", "TCP") == "TCP" and p.get("port") in (None, port) for p in ports
            )
            if peer_ok and port_ok:
                return True
    return False


def table(rows: list[tuple[str, str, bool, str]]) -> str:
    """The matrix as text: source, destination, expected, observed (and a mark if they differ)."""
    width = max(len(r[1]) for r in rows)
    lines = [f"{'source':<22} {'destination':<{width}} {'expected':<8} observed"]
    for source, target, expected, observed in rows:
        mark = "" if expected == reached(observed) else "   <-- MISMATCH"
        want = "allowed" if expected else "denied"
        lines.append(f"{source:<22} {target:<{width}} {want:<8} {observed}{mark}")
    return "\n".join(lines)
