"""Karmada's hub programs, built from their Go module and run as local processes.

``devstack/karmada`` is a wrapper module pinning ``github.com/karmada-io/karmada``; the four
hub commands are built from it once into ``~/.cache/havre/karmada/<version>/bin``. The hub
itself is an ordinary ``kube`` component of a stack of its own (etcd, kube-apiserver,
kube-controller-manager); these components run beside it, each bound to 127.0.0.1, with
the hub's admin kubeconfig and certificates from the hub stack's CA.
"""

from __future__ import annotations

import shutil
import ssl
import urllib.error
import urllib.request
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from devstack import process
from devstack.component import Component
from devstack.components.kube import ETCD_CLIENT_PORT, Kube
from devstack.federation_build import KarmadaBuild, karmada_version

AGGREGATED_APISERVER_PORT = 25443
WEBHOOK_PORT = 25444
CONTROLLER_MANAGER_HEALTH_PORT = 25446
SCHEDULER_HEALTH_PORT = 25447
#: The Service name the APIService points at; its certificate must carry this name.
AGGREGATED_SERVICE = "karmada-aggregated-apiserver.karmada-system.svc"


class HubKube(Kube):
    """The hub's own control plane: kube-controller-manager runs only what a Karmada hub
    uses (namespaces, garbage collection, service accounts and their tokens, RBAC
    aggregation), as upstream's Karmada deployment does."""

    controllers: ClassVar[str] = (
        "namespace,garbagecollector,serviceaccount,serviceaccount-token,clusterrole-aggregation"
    )


def _https_ok(url: str, ca: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except urllib.error.HTTPError:
        return False


class _HubProgram(Component):
    """One Karmada command run against the hub stack's API server."""

    command: ClassVar[str]
    version: ClassVar[str] = karmada_version()
    ready_timeout: ClassVar[float] = 180.0

    def __init__(self, paths: Any) -> None:
        super().__init__(paths)
        self.hub = Kube(paths)

    @cached_property
    def karmada(self) -> KarmadaBuild:
        return KarmadaBuild(self.paths.log("karmada-build"))

    def is_built(self) -> bool:
        return self.karmada.is_built()

    def build(self) -> None:
        self.karmada.build()

    @property
    def kubeconfig(self) -> str:
        return str(self.hub.kubeconfig)

    def _spawn(self, args: list[str]) -> int:
        argv = [str(self.karmada.program(self.command)), f"--kubeconfig={self.kubeconfig}", *args]
        return process.spawn(self.name, argv, state=self.paths.state, log=self.log, cwd=self.dir)

    def _health(self, port: int, path: str = "/healthz") -> bool:
        url = f"http://127.0.0.1:{self.paths.port(port)}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return bool(resp.status == 200)
        except urllib.error.HTTPError:
            return False

    def info(self) -> dict[str, Any]:
        return {"binary": str(self.karmada.program(self.command))}


class AggregatedAPIServer(_HubProgram):
    """Serves ``cluster.karmada.io`` (Cluster objects) through the hub's APIService."""

    name: ClassVar[str] = "karmada-aggregated-apiserver"
    command: ClassVar[str] = "aggregated-apiserver"

    @property
    def port(self) -> int:
        return self.paths.port(AGGREGATED_APISERVER_PORT)

    def certificate(self) -> tuple[Path, Path]:
        # The aggregator verifies the Service's DNS name against the APIService's caBundle.
        return self.ca.issue("karmada-aggregated-apiserver", dns=(AGGREGATED_SERVICE, "localhost"))

    def start(self) -> int:
        cert, key = self.certificate()
        pki = self.hub.data / "pki"
        return self._spawn(
            [
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                # Cluster objects live in the hub's etcd, as upstream's deployment does.
                f"--etcd-servers=https://127.0.0.1:{self.paths.port(ETCD_CLIENT_PORT)}",
                f"--etcd-cafile={pki / 'ca.pem'}",
                f"--etcd-certfile={pki / 'etcd.pem'}",
                f"--etcd-keyfile={pki / 'etcd-key.pem'}",
                f"--tls-cert-file={cert}",
                f"--tls-private-key-file={key}",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.port}",
                "--tls-min-version=VersionTLS13",
            ]
        )

    def probe(self) -> bool:
        """Its own /readyz over TLS verified with the hub stack's CA."""
        return _https_ok(f"https://127.0.0.1:{self.port}/readyz", self.ca.cert_path)


class Webhook(_HubProgram):
    """Admission for Karmada's own objects; sets the policies' permanent-id label."""

    name: ClassVar[str] = "karmada-webhook"
    command: ClassVar[str] = "webhook"

    @property
    def port(self) -> int:
        return self.paths.port(WEBHOOK_PORT)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> int:
        cert, key = self.ca.issue("karmada-webhook", dns=("localhost",))
        cert_dir = self.dir / "certs"
        cert_dir.mkdir(parents=True, exist_ok=True)
        for source, target in ((cert, "tls.crt"), (key, "tls.key")):
            shutil.copyfile(source, cert_dir / target)
        (cert_dir / "tls.key").chmod(0o600)
        return self._spawn(
            [
                "--bind-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={cert_dir}",
                "--metrics-bind-address=0",
                # Its readiness is served on the webhook port itself (below).
                "--health-probe-bind-address=0",
            ]
        )

    def probe(self) -> bool:
        """``/readyz/`` on the webhook's own TLS port, verified with the hub stack's CA."""
        return _https_ok(f"{self.url}/readyz/", self.ca.cert_path)


class ControllerManager(_HubProgram):
    """Detector, bindings, works, execution on members, status collection and health.

    Only the controllers push-mode propagation needs; the taint manager (evictions) is off
    and Failover stays at its default (off), so a lost member's workspaces never move.
    """

    name: ClassVar[str] = "karmada-controller-manager"
    command: ClassVar[str] = "controller-manager"
    controllers: ClassVar[str] = "cluster,clusterStatus,binding,bindingStatus,execution,workStatus"
    #: How often member health is checked, and how long a failure lasts before it counts.
    status_update_frequency: ClassVar[str] = "5s"
    failure_threshold: ClassVar[str] = "15s"
    success_threshold: ClassVar[str] = "10s"

    def start(self) -> int:
        return self._spawn(
            [
                f"--controllers={self.controllers}",
                "--leader-elect=false",
                "--metrics-bind-address=0",
                "--health-probe-bind-address="
                f"127.0.0.1:{self.paths.port(CONTROLLER_MANAGER_HEALTH_PORT)}",
                f"--cluster-status-update-frequency={self.status_update_frequency}",
                f"--cluster-failure-threshold={self.failure_threshold}",
                f"--cluster-success-threshold={self.success_threshold}",
                "--enable-taint-manager=false",
                "--enable-no-execute-taint-eviction=false",
                # Members need not grant node and pod reads to the hub.
                "--enable-cluster-resource-modeling=false",
                "--feature-gates=Failover=false",
            ]
        )

    def probe(self) -> bool:
        return self._health(CONTROLLER_MANAGER_HEALTH_PORT)


class Scheduler(_HubProgram):
    """Chooses the member of each binding from the policy's affinity and spread."""

    name: ClassVar[str] = "karmada-scheduler"
    command: ClassVar[str] = "scheduler"

    def start(self) -> int:
        return self._spawn(
            [
                "--leader-elect=false",
                "--metrics-bind-address=0",
                f"--health-probe-bind-address=127.0.0.1:{self.paths.port(SCHEDULER_HEALTH_PORT)}",
                "--enable-scheduler-estimator=false",
            ]
        )

    def probe(self) -> bool:
        return self._health(SCHEDULER_HEALTH_PORT)


HUB_PROGRAMS: tuple[type[_HubProgram], ...] = (
    AggregatedAPIServer,
    Webhook,
    ControllerManager,
    Scheduler,
)
