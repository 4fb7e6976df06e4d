"""The node's configuration files, as text: containerd, CNI, kubelet, kube-proxy.

Pure functions of the stack's paths and addresses. Every path a program would write to by
default (``/var/lib/...``, ``/run/containerd``, ``/var/log/pods``, the CNI IPAM store) is
moved under the stack's ``node`` folder, so nothing of the node outlives the stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.node_network import NodeNetwork

CNI_BIN = Path("/usr/lib/cni")


#: Unix socket paths are limited to 108 bytes and a stack folder may be deep (pytest's tmp):
#: containerd listens at <stack>/node/containerd/containerd.sock through a short link.
SOCKET_LINKS = Path("/run/havre-node")


@dataclass(frozen=True)
class NodePaths:
    """Where one stack's node keeps everything."""

    root: Path
    #: The node's network slot (``NodeNetwork.slot``), which names its socket link.
    slot: int

    @property
    def containerd_root(self) -> Path:
        return self.root / "containerd" / "root"

    @property
    def containerd_state(self) -> Path:
        return self.root / "containerd" / "state"

    @property
    def socket_link(self) -> Path:
        """A short path (a symbolic link) to the folder holding containerd's sockets."""
        return SOCKET_LINKS / f"containerd-{self.slot}"

    @property
    def containerd_socket(self) -> Path:
        """containerd's socket, named through ``socket_link`` (the file is in the stack)."""
        return self.socket_link / "containerd.sock"

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd" / "config.toml"

    @property
    def runc_root(self) -> Path:
        return self.root / "containerd" / "runc"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet-config.yaml"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"

    @property
    def container_logs(self) -> Path:
        return self.root / "container-logs"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def proxy_config(self) -> Path:
        return self.root / "kube-proxy-config.yaml"


def containerd_config(paths: NodePaths, pause_image: str) -> str:
    """containerd 1.6 (config version 2): its own root, state and socket; the CRI plugin
    with the local pause image, our CNI configuration, runc with cgroupfs."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{paths.containerd_root}"
state = "{paths.containerd_state}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = "{paths.containerd_socket}"

[ttrpc]
  address = ""

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{paths.root / "containerd" / "opt"}"

[{cri}]
  sandbox_image = "{pause_image}"
  # This machine lacks CAP_SYS_RESOURCE: without it runc fails to start containers.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false
  # Only the kubelet, in the node's namespace, talks to the streaming server.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[{cri}.cni]
  bin_dir = "{CNI_BIN}"
  conf_dir = "{paths.cni_conf_dir}"
  max_conf_num = 1

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "{paths.runc_root}"
"""


def cni_config(paths: NodePaths, net: NodeNetwork) -> str:
    """bridge + host-local + portmap: pods on the node's bridge, addresses from the pod range,
    a default route through the bridge (where the node's egress filter decides)."""
    config = {
        "cniVersion": "1.0.0",
        "name": net.cni_network,
        "plugins": [
            {
                "type": "bridge",
                "bridge": net.bridge,
                "isGateway": True,
                "isDefaultGateway": False,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(paths.cni_ipam_dir),
                    "ranges": [[{"subnet": str(net.pod_cidr), "gateway": net.bridge_address}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(config, indent=2) + "\n"


def kubelet_config(
    paths: NodePaths, net: NodeNetwork, *, ca: Path, serving: tuple[Path, Path]
) -> str:
    """KubeletConfiguration: webhook authentication and authorization, the node's address,
    cgroupfs under the stack's cgroup root, everything it writes under the stack."""
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": net.node_address,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "tlsCertFile": str(serving[0]),
        "tlsPrivateKeyFile": str(serving[1]),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": net.cgroup_root,
        "cgroupsPerQOS": True,
        # Requests still decide where pods fit; a pod may use idle CPU beyond its limit,
        # so Trino's JVMs do not crawl on a two-core machine.
        "cpuCFSQuota": False,
        "failSwapOn": False,
        "failCgroupV1": False,
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        "imageServiceEndpoint": f"unix://{paths.containerd_socket}",
        # Pods with dnsPolicy Default get no resolver: nothing outside the cluster resolves.
        "resolvConf": "",
        "clusterDNS": [net.dns_service_ip],
        "clusterDomain": "cluster.local",
        "protectKernelDefaults": False,
        "podLogsDir": str(paths.pod_logs),
        "volumePluginDir": str(paths.kubelet_root / "volume-plugins"),
        "serializeImagePulls": False,
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        # The machine's disk and memory are shared: evict only when truly short.
        "evictionHard": {
            "memory.available": "200Mi",
            "nodefs.available": "2%",
            "imagefs.available": "2%",
            "nodefs.inodesFree": "2%",
        },
        "imageGCHighThresholdPercent": 99,
        "imageGCLowThresholdPercent": 98,
        "maxPods": 250,
        # Room for the node's own programs, and a margin that keeps pods asking for every
        # CPU of the machine (the examples' two-CPU Trino nodes) from being scheduled here.
        "systemReserved": {"cpu": "100m", "memory": "256Mi"},
        "enableServer": True,
        "staticPodPath": "",
    }
    return yaml.safe_dump(config, sort_keys=False)


def kube_proxy_config(kubeconfig: Path, net: NodeNetwork, hostname: str) -> str:
    """KubeProxyConfiguration, iptables mode, in the node's namespace; it changes no
    machine-wide conntrack setting."""
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "hostnameOverride": hostname,
        "clusterCIDR": str(net.pod_cidr),
        "bindAddress": net.node_address,
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "nodePortAddresses": [f"{net.node_address}/32"],
        # nf_conntrack_max is machine-wide: leave it alone (0 = do not set).
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
    }
    return yaml.safe_dump(config, sort_keys=False)
