"""The operators of the local federation: one per member, one in hub mode on the hub.

Each runs ``python -m havre`` as a process of its stack, with the settings of its place:
a member's own object store and catalog database, the platform's identity provider, its
provider name; the hub's admission webhook address and certificate.
"""

from __future__ import annotations

import sys
import urllib.request
from typing import TYPE_CHECKING, Any

from devstack import process
from devstack.components.prometheus import operator_metrics_port
from devstack.havre_setup import operator_environment
from devstack.paths import REPO_ROOT, StackPaths
from devstack.tls import StackCA
from devstack.wait import wait_ready

if TYPE_CHECKING:
    from devstack.federation import MemberPlan

HUB_WEBHOOK_PORT = 25448
OPERATOR_HEALTH_PORT = 25450


def start_operator(
    name: str, paths: StackPaths, kubeconfig: str, env: dict[str, str], health_port: int
) -> None:
    """Run ``python -m havre`` as a process of the stack at ``paths``; wait until it is live."""
    port = paths.port(health_port)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=1):
            if process.pid_of(name, paths.state) is not None:
                return
    except OSError:
        pass
    process.stop_component(name, paths.state)
    pid = process.spawn(
        name,
        [sys.executable, "-m", "havre", "--liveness", url],
        state=paths.state,
        log=paths.log(name),
        env={**env, "KUBECONFIG": kubeconfig},
        cwd=REPO_ROOT,
    )

    def live() -> bool:
        with urllib.request.urlopen(url, timeout=1):
            return True

    wait_ready(name, live, timeout=90, log=paths.log(name), pid=pid)


def member_operator_environment(
    plan: MemberPlan, paths: StackPaths, components: dict[str, Any], keycloak: dict[str, Any]
) -> dict[str, str]:
    """A member's operator: its own object store and catalog database, the platform's
    realm for Trino's tokens (no group sync); its provider name; Trino only where
    workspaces can run it; its /metrics on loopback, at its stack's port."""
    env = operator_environment({**components, "keycloak": keycloak})
    # Trino verifies the platform realm's tokens; the members do not keep Keycloak groups
    # (the smallest federation that proves placement needs no running Keycloak).
    env = {k: v for k, v in env.items() if not k.startswith("HAVRE_IDENTITY_")}
    if not plan.query_engine:
        env = {k: v for k, v in env.items() if not k.startswith("HAVRE_TRINO_")}
    return {
        **env,
        "HAVRE_FEDERATION_PROVIDER": plan.provider,
        "HAVRE_METRICS_ADDRESS": "127.0.0.1",
        "HAVRE_METRICS_PORT": str(operator_metrics_port(paths.port_offset)),
    }


def hub_operator_environment(hub: StackPaths, resync: float = 10.0) -> dict[str, str]:
    """Settings of the operator in hub mode: its admission webhook's address and certificate."""
    cert, key = StackCA(hub.state).issue("havre-hub-webhook", dns=("localhost",))
    return {
        "HAVRE_FEDERATION_ROLE": "hub",
        "HAVRE_FEDERATION_WEBHOOK_PORT": str(hub.port(HUB_WEBHOOK_PORT)),
        "HAVRE_FEDERATION_WEBHOOK_CERT_FILE": str(cert),
        "HAVRE_FEDERATION_WEBHOOK_KEY_FILE": str(key),
        "HAVRE_FEDERATION_WEBHOOK_CA_FILE": str(StackCA(hub.state).cert_path),
        "HAVRE_FEDERATION_RESYNC_INTERVAL": str(resync),
    }
