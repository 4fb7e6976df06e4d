"""A real Kubernetes node: containerd, kubelet, kube-proxy, kube-router and CoreDNS.

Everything runs in the node's own network namespace (``devstack.node_host``) and writes
under ``<stack>/node``; the kubelet's cgroups are under ``/havre-<slot>``. ``stop`` removes
it all: pods' processes and cgroups, mounts, the namespace, the machine's link and table,
and (last node of the machine) the kernel settings the kubelet changed.

- kubelet and kube-proxy (iptables mode) are the control plane's own ``havre-kube``
  program, so one build of ``k8s.io/kubernetes`` makes both;
- containerd 1.6, runc and the CNI plugins are Debian's; kube-router runs as the
  NetworkPolicy enforcer only (``--run-firewall``); CoreDNS is a pod, like on any cluster;
- images come from ``devstack.images`` (no registry), imported at start.
"""

from __future__ import annotations

import socket
import time
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from devstack import node_build, node_cleanup, node_host, node_ledger, process, progress
from devstack.component import Component
from devstack.components.kube import SOURCE, Kube
from devstack.errors import ComponentError
from devstack.images import build_image, import_image
from devstack.kube_api import KubeAPI
from devstack.node_addons import KUBE_ROUTER_USER, coredns, rbac
from devstack.node_certs import NodePKI
from devstack.node_config import (
    NodePaths,
    cni_config,
    containerd_config,
    kube_proxy_config,
    kubelet_config,
)
from devstack.node_network import NodeNetwork
from devstack.wait import wait_ready

PROCESSES = ("node-kube-router", "node-kube-proxy", "node-kubelet", "node-containerd")
HOLDER = "node-netns"
KUBE_ROUTER_HEALTH_PORT = 20244


class Node(Component):
    """One node of the stack's cluster, named after this machine (which resolves to 127.0.0.1)."""

    name: ClassVar[str] = "node"
    version: ClassVar[str] = f"{Kube.version}, containerd {node_build.containerd_version()}"
    ready_timeout: ClassVar[float] = 300.0

    @cached_property
    def kube(self) -> Kube:
        return Kube(self.paths)

    @property
    def net(self) -> NodeNetwork:
        return NodeNetwork(self.paths.port_offset)

    @property
    def node_paths(self) -> NodePaths:
        return NodePaths(self.dir, self.net.slot)

    @property
    def node_name(self) -> str:
        return socket.gethostname()

    @property
    def api(self) -> KubeAPI:
        return KubeAPI(self.kube.server, self.kube.data / "pki")

    # -- build -------------------------------------------------------------------------

    def is_built(self) -> bool:
        return (
            node_build.packages_installed()
            and self.kube.is_built()
            and node_build.pause_binary().is_file()
            and node_build.coredns_binary().is_file()
            and node_build.kube_router_binary().is_file()
            and node_build.images_built()
        )

    def build(self) -> None:
        node_build.install_packages(self.log)
        self.kube.build()
        node_build.build_pause(SOURCE, Kube.version, self.log)
        node_build.build_go_programs(self.log)
        images = node_build.build_images(self.log)
        Node.version = f"{Kube.version}, containerd {node_build.containerd_version()}"
        if self.running_pid() is not None:
            # A running node is reused as it is: give it the images built since it started.
            for spec in images.wanted():
                import_image(build_image(spec, component=self.name, log=self.log), self._socket)

    # -- start -------------------------------------------------------------------------

    def start(self) -> int:
        """Set up the namespace and its link, then containerd, images, the kubelet,
        kube-proxy, kube-router and CoreDNS; return the kubelet's pid."""
        wait_ready("kube", self.kube.probe, timeout=self.kube.ready_timeout, log=self.kube.log)
        if other := node_ledger.slot_holder(self.net.slot, self.paths.state):
            raise ComponentError(
                self.name,
                f"node slot {self.net.slot} is held by the running stack at {other}; "
                "pick a HAVRE_PORT_OFFSET whose (offset // 10) % 190 differs",
            )
        self.stop()
        node_host.check_ranges_free(self.net)
        paths = self.node_paths
        state = self.paths.state
        holder = process.spawn(
            HOLDER,
            ["unshare", "--net", "--", str(node_build.pause_binary())],
            state=state,
            log=self.log,
        )
        node_ledger.join(state, holder, self.net.slot)
        node_host.setup(self.net, holder, self.log)
        node_cleanup.create_root(self.net.cgroup_root)
        images = node_build.platform_images()
        self._write_config(images.pause.reference)
        link = paths.socket_link
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(paths.root / "containerd", target_is_directory=True)
        inside = node_host.nsenter(holder)
        process.spawn(
            "node-containerd",
            [*inside, "containerd", "--config", str(paths.containerd_config)],
            state=state,
            log=self.paths.log("node-containerd"),
        )
        self._wait_containerd()
        for spec in images.wanted():
            import_image(build_image(spec, component=self.name, log=self.log), self._socket)
        for obj in rbac():
            self.api.apply(obj)
        kubelet = process.spawn(
            "node-kubelet",
            [*inside, str(self.kube.binary), "kubelet", *self._kubelet_flags()],
            state=state,
            log=self.paths.log("node-kubelet"),
            env={"HAVRE_KUBELET_CONTAINER_LOGS_DIR": str(paths.container_logs)},
        )
        process.spawn(
            "node-kube-proxy",
            [*inside, str(self.kube.binary), "kube-proxy", f"--config={paths.proxy_config}"],
            state=state,
            log=self.paths.log("node-kube-proxy"),
        )
        process.spawn(
            "node-kube-router",
            [*inside, str(node_build.kube_router_binary()), *self._kube_router_flags()],
            state=state,
            log=self.paths.log("node-kube-router"),
        )
        for obj in coredns(self.net, images.coredns.reference):
            self.api.apply(obj)
        return kubelet

    @property
    def _socket(self) -> Path:
        return self.node_paths.containerd_socket

    def _server(self) -> str:
        """The apiserver as the node reaches it: the machine's end of the link."""
        return f"https://{self.net.host_address}:{self.net.forwarded_ports()['kube-apiserver']}"

    def _write_config(self, pause_image: str) -> None:
        paths, net = self.node_paths, self.net
        for directory in (paths.containerd_root, paths.containerd_state, paths.cni_conf_dir,
                          paths.cni_ipam_dir, paths.kubelet_root, paths.pod_logs,
                          paths.container_logs, paths.pki):  # fmt: skip
            directory.mkdir(parents=True, exist_ok=True)
        paths.containerd_config.write_text(containerd_config(paths, pause_image))
        (paths.cni_conf_dir / "10-havre.conflist").write_text(cni_config(paths, net))
        pki = NodePKI(self.kube.data / "pki", paths.pki)
        name = self.node_name
        cert, key = pki.issue("kubelet-client", f"system:node:{name}", ("system:nodes",))
        pki.kubeconfig(paths.root / "kubelet.kubeconfig", self._server(), "kubelet", cert, key)
        serving = pki.issue(
            "kubelet-serving",
            f"system:node:{name}",
            ("system:nodes",),
            server_ips=(net.node_address,),
            server_names=(name,),
        )
        paths.kubelet_config.write_text(kubelet_config(paths, net, ca=pki.ca_path, serving=serving))
        cert, key = pki.issue("kube-proxy", "system:kube-proxy")
        proxy_kubeconfig = paths.root / "kube-proxy.kubeconfig"
        pki.kubeconfig(proxy_kubeconfig, self._server(), "kube-proxy", cert, key)
        paths.proxy_config.write_text(kube_proxy_config(proxy_kubeconfig, net, name))
        cert, key = pki.issue("kube-router", KUBE_ROUTER_USER)
        router_kubeconfig = paths.root / "kube-router.kubeconfig"
        pki.kubeconfig(router_kubeconfig, self._server(), "kube-router", cert, key)

    def _wait_containerd(self) -> None:
        def answers() -> bool:
            from devstack.images.importer import ctr

            ctr(self._socket, "version", timeout=5)
            return True

        pid = process.pid_of("node-containerd", self.paths.state)
        wait_ready(
            "node-containerd",
            answers,
            timeout=60,
            log=self.paths.log("node-containerd"),
            pid=pid,
        )

    def _kubelet_flags(self) -> list[str]:
        paths = self.node_paths
        return [
            f"--config={paths.kubelet_config}",
            f"--kubeconfig={paths.root / 'kubelet.kubeconfig'}",
            f"--hostname-override={self.node_name}",
            f"--node-ip={self.net.node_address}",
            f"--root-dir={paths.kubelet_root}",
            f"--cert-dir={paths.pki}",
        ]

    def _kube_router_flags(self) -> list[str]:
        return [
            "--run-firewall=true",
            "--run-router=false",
            "--run-service-proxy=false",
            "--enable-cni=false",
            "--enable-ipv6=false",
            f"--kubeconfig={self.node_paths.root / 'kube-router.kubeconfig'}",
            f"--hostname-override={self.node_name}",
            f"--service-cluster-ip-range={self.net.service_cidr}",
            f"--health-addr={self.net.node_address}",
            f"--health-port={KUBE_ROUTER_HEALTH_PORT}",
            "--metrics-port=0",
            "--gobgp-admin-port=0",
        ]

    # -- state -------------------------------------------------------------------------

    def running_pid(self) -> int | None:
        """The kubelet's pid while every process of the node runs."""
        pids = [process.pid_of(name, self.paths.state) for name in (HOLDER, *PROCESSES)]
        return pids[PROCESSES.index("node-kubelet") + 1] if all(pids) else None

    def probe(self) -> bool:
        """The Node is Ready and CoreDNS answers (its Deployment is available)."""
        node = self.api.get("Node", self.node_name)
        if node is None:
            return False
        ready = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
        if ready.get("Ready") != "True":
            return False
        dns = self.api.get("Deployment", "coredns", "kube-system")
        return bool(dns and dns.get("status", {}).get("availableReplicas", 0) >= 1)

    def info(self) -> dict[str, Any]:
        net = self.net
        images = node_build.platform_images()
        ports = net.forwarded_ports()
        return {
            "name": self.node_name,
            "containerd_socket": str(self._socket),
            "pod_cidr": str(net.pod_cidr),
            "service_cidr": str(net.service_cidr),
            "dns": net.dns_service_ip,
            "host_address": net.host_address,
            "node_address": net.node_address,
            "images": {
                "pause": images.pause.reference,
                "coredns": images.coredns.reference,
                "base": images.base.reference,
                "trino": images.trino.reference,
            },
            # The platform's services as pods reach them.
            "platform": {
                "object_store": net.endpoint("minio"),
                "catalog_database": net.endpoint("postgres"),
                "identity_provider": net.endpoint("keycloak"),
                "apiserver": net.endpoint("kube-apiserver"),
                "minio_url": f"https://{net.host_address}:{ports['minio']}",
                "postgres_host": net.host_address,
                "postgres_port": ports["postgres"],
                "keycloak_url": f"https://{net.host_address}:{ports['keycloak']}",
                "audit_receiver": net.endpoint("audit"),
                "audit_url": f"https://{net.host_address}:{ports['audit']}",
            },
        }

    # -- stop --------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop everything of the node and leave the machine as it was before it."""
        state = self.paths.state
        holder = process.pid_of(HOLDER, state)
        for name in PROCESSES[:3]:
            process.stop_component(name, state, grace=10)
        if other := node_ledger.slot_holder(self.net.slot, state):
            # Another stack's running node holds this slot's bridge, cgroups and tables:
            # this stack has no node there (it could not have started one), so only its
            # own processes and files go.
            process.stop_component("node-containerd", state, grace=10)
            process.stop_component(HOLDER, state, grace=5)
            progress.say(self.name, f"slot {self.net.slot} belongs to {other}: left as it is")
            return
        node_cleanup.kill_pods(self.net.cgroup_root)
        process.stop_component("node-containerd", state, grace=10)
        self._stop_shims()
        self.node_paths.socket_link.unlink(missing_ok=True)
        problems = node_cleanup.unmount_below(self.dir)
        left = node_cleanup.remove_cgroups(self.net.cgroup_root)
        process.stop_component(HOLDER, state, grace=5)
        node_host.teardown_host(self.net, self.log)
        node_ledger.leave(state, self.net.cni_network)
        if holder is not None:
            _wait_gone(holder)
        if problems or left:
            # Said, not raised: the rest of the stack must still stop.
            cgroups = [str(c) for c in left]
            progress.say(self.name, f"left behind: mounts {problems}, cgroups {cgroups}")

    def _stop_shims(self) -> None:
        """containerd's shims outlive it; ours name our socket on their command line."""
        needle = str(self._socket).encode()
        shims = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"containerd-shim" in cmdline and needle in cmdline:
                shims.append(pid)
        process.terminate(shims, grace=5)


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while process.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
