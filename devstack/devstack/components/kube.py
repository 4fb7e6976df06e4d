"""The Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler.

``devstack/kube`` is a small Go program of ours (``havre-kube``) that links the upstream
``k8s.io/kubernetes`` commands and an embedded etcd into one process (the scheduler runs
as its child). It generates its own CA, certificates, service-account keys and
kubeconfigs in its data directory, once. The same program is the node's kubelet and
kube-proxy (``components/node.py``). Its Service and pod ranges and the address the node
reaches it at come from ``devstack.node_network``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import ssl
import urllib.error
import urllib.request
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from devstack import process, progress
from devstack.component import Component
from devstack.components.kube_oidc import write_authentication_config
from devstack.errors import ComponentError
from devstack.node_network import NodeNetwork
from devstack.paths import REPO_ROOT, cache_root

SOURCE = REPO_ROOT / "devstack" / "kube"
APISERVER_PORT = 16443
ETCD_CLIENT_PORT = 12379
ETCD_PEER_PORT = 12380
CONTROLLER_MANAGER_PORT = 16457
SCHEDULER_PORT = 16459
BUILD_TIMEOUT = 3 * 3600.0


def source_hash() -> str:
    """A short digest of the Go program's sources: a changed program is a new build."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.iterdir()):
        if path.name in ("go.mod", "go.sum") or path.suffix == ".go":
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def version_ldflags(version: str) -> str:
    """Stamp the release into the binaries, as upstream's builds do (``kubectl version``,
    the node's kubelet version)."""
    major, minor = version.split(".")[:2]
    flags = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {package}.gitVersion=v{version}",
            f"-X {package}.gitMajor={major}",
            f"-X {package}.gitMinor={minor}",
            f"-X {package}.gitTreeState=clean",
        ]
    return " ".join(flags)


def kubernetes_version() -> str:
    """The k8s.io/kubernetes release the program is built from, as pinned in its go.mod."""
    found = re.search(r"^\s*k8s\.io/kubernetes v(\S+)", (SOURCE / "go.mod").read_text(), re.M)
    if found is None:
        raise ComponentError("kube", f"no k8s.io/kubernetes requirement in {SOURCE / 'go.mod'}")
    return found.group(1)


class Kube(Component):
    """A Kubernetes control plane with RBAC, admission, the core controllers and a scheduler."""

    name: ClassVar[str] = "kube"
    version: ClassVar[str] = kubernetes_version()
    ready_timeout: ClassVar[float] = 120.0
    #: kube-controller-manager's controllers (a Karmada hub runs only a few).
    controllers: ClassVar[str] = "*"

    @cached_property
    def binary(self) -> Path:
        """The ``havre-kube`` program built for this Kubernetes version and these sources.

        Fixed once per instance, so ``start`` runs what ``build`` made even if the sources
        change in between.
        """
        return cache_root() / self.name / f"{self.version}-{source_hash()}" / "havre-kube"

    @property
    def network(self) -> NodeNetwork:
        """This stack's Service and pod ranges, and where the node reaches the apiserver."""
        return NodeNetwork(self.paths.port_offset)

    @property
    def data(self) -> Path:
        """etcd data, certificates and kubeconfigs of this stack's control plane."""
        return self.dir / "data"

    @property
    def port(self) -> int:
        """The kube-apiserver's secure port in this stack."""
        return self.paths.port(APISERVER_PORT)

    @property
    def server(self) -> str:
        """The kube-apiserver's URL."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        """The control plane's own CA certificate (it signs the serving and client certs)."""
        return self.data / "pki" / "ca.pem"

    @property
    def oidc_config(self) -> Path:
        """The API server's AuthenticationConfiguration (people's Keycloak tokens)."""
        return self.dir / "authentication-config.yaml"

    @property
    def kubeconfig(self) -> Path:
        """A kubeconfig with cluster-admin rights (group system:masters)."""
        return self.data / "admin.kubeconfig"

    def is_built(self) -> bool:
        """True when the program for these sources is in the cache."""
        return self.binary.is_file() and os.access(self.binary, os.X_OK)

    def build(self) -> None:
        """``go build`` the program (the first build compiles Kubernetes: minutes)."""
        if self.is_built():
            return
        go = shutil.which("go")
        if go is None:
            raise ComponentError(self.name, "the Go toolchain (`go`) is not on PATH", self.log)
        target = self.binary
        partial = target.with_name(f".havre-kube-{os.getpid()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # No VCS stamp: the build must not depend on git or on the checkout's state.
            argv = [go, "build", "-trimpath", "-buildvcs=false"]
            argv += ["-ldflags", version_ldflags(self.version), "-o", str(partial), "."]
            with progress.step(self.name, f"go build havre-kube (Kubernetes {self.version})"):
                process.run(self.name, argv, log=self.log, cwd=SOURCE, timeout=BUILD_TIMEOUT)
            if target.parent.name != f"{self.version}-{source_hash()}":
                raise ComponentError(
                    self.name, f"{SOURCE} changed during the build; rerun", self.log
                )
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def start(self) -> int:
        """Spawn the control plane with its data under this stack and its ports offset."""
        self.data.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.binary),
            f"--data-dir={self.data}",
            f"--apiserver-port={self.port}",
            f"--etcd-client-port={self.paths.port(ETCD_CLIENT_PORT)}",
            f"--etcd-peer-port={self.paths.port(ETCD_PEER_PORT)}",
            f"--controller-manager-port={self.paths.port(CONTROLLER_MANAGER_PORT)}",
            f"--scheduler-port={self.paths.port(SCHEDULER_PORT)}",
            f"--service-cidr={self.network.service_cidr}",
            f"--pod-cidr={self.network.pod_cidr}",
            f"--advertise-address={self.network.host_address}",
            f"--controllers={self.controllers}",
            f"--authentication-config={write_authentication_config(self.paths, self.oidc_config)}",
        ]
        return process.spawn(self.name, argv, state=self.paths.state, log=self.log, cwd=self.dir)

    def probe(self) -> bool:
        """The apiserver's /readyz answers 200, and the controllers have made the default SA.

        The ``default`` service account in ``default`` is created by the controller
        manager, so its presence proves the whole control plane serves, not only the API.
        """
        if not self.ca_path.exists():
            return False
        if self._get("/readyz") != 200:
            return False
        return self._get("/api/v1/namespaces/default/serviceaccounts/default") == 200

    def _get(self, path: str) -> int:
        """HTTP status of an admin GET of ``path`` (client certificate, CA-verified)."""
        pki = self.data / "pki"
        context = ssl.create_default_context(cafile=str(self.ca_path))
        context.load_cert_chain(str(pki / "admin.pem"), str(pki / "admin-key.pem"))
        try:
            with urllib.request.urlopen(f"{self.server}{path}", timeout=2, context=context) as resp:  # noqa: S310
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def info(self) -> dict[str, Any]:
        """Admin kubeconfig, API server URL, the control plane's CA, etcd's URL, the audit log."""
        return {
            "kubeconfig": str(self.kubeconfig),
            "server": self.server,
            "ca": str(self.ca_path),
            "etcd": f"https://127.0.0.1:{self.paths.port(ETCD_CLIENT_PORT)}",
            "service_cidr": str(self.network.service_cidr),
            "pod_cidr": str(self.network.pod_cidr),
            "authentication_config": str(self.oidc_config),
            # Service accounts' requests (devstack/kube/audit.go): what an operator really did.
            "audit_log": str(self.data / "audit.log"),
        }
