"""``stack down`` leaves the machine as the node found it.

On a stack of its own (its own state folder and port offset, so its own network slot): a
control plane and a node run a pod with a secret volume and an emptyDir (mounts, cgroups,
the node's link and table, kernel settings), then the stack stops. Nothing of it may remain:
no link or bridge, no nftables table, no route, no cgroup under its root, no mount under
its folder, no process; the kubelet's kernel settings are those of before the first node
(or still the running nodes' own, when the session's node runs too).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import node_cleanup, node_host, node_ledger, process, stack
from devstack.node_network import NodeNetwork
from devstack.paths import StackPaths
from tests.integration.helpers import kubectl
from tests.integration.pods import create, pod, wait_phase

pytestmark = pytest.mark.integration


def _machine(net: NodeNetwork) -> dict[str, Any]:
    """What the node may change on the machine, as seen from its own namespace."""

    def run(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    return {
        # A veth shows as name@peer: the name only.
        "links": sorted(
            line.split(":")[1].strip().split("@")[0]
            for line in run("ip", "-o", "link").splitlines()
        ),
        "tables": run("nft", "list", "tables"),
        "routes": run("ip", "-4", "route", "show"),
        "sysctls": node_ledger.current_sysctls(),
        "dirs": [d for d in node_ledger.SHARED_DIRS if Path(d).exists()],
        "cgroups": [str(c) for c in node_cleanup.cgroups_of(net.cgroup_root)],
    }


@pytest.fixture
def own_stack(
    tmp_path: Path, stack_paths: StackPaths, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StackPaths]:
    # Our extra control planes use our offset +20/+40/+60: +40 here.
    paths = StackPaths(state=tmp_path / "stack", port_offset=stack_paths.port_offset + 40)
    # A node that runs no Trino needs no Trino image (the import is the slow part).
    monkeypatch.setenv("HAVRE_NODE_IMAGES", "pause,coredns,base")
    yield paths
    stack.down(paths)


def test_stack_down_leaves_no_link_table_route_cgroup_mount_or_setting(
    own_stack: StackPaths,
) -> None:
    net = NodeNetwork(own_stack.port_offset)
    others = node_ledger.recorded().get("users", {})
    before = _machine(net)
    assert not before["cgroups"] and not node_host.host_leftovers(net)

    stack.up(own_stack, ["kube", "node"])
    manifest = stack.read_manifest(own_stack)
    assert manifest is not None
    kubeconfig = manifest["components"]["kube"]["kubeconfig"]
    image = manifest["components"]["node"]["images"]["base"]
    secret = kubectl(kubeconfig, "create", "secret", "generic", "s", "--from-literal=k=v")
    assert secret.returncode == 0, secret.stderr
    busy = pod("busy", "default", image, ["sleep", "600"])
    busy["spec"]["volumes"] = [
        {"name": "s", "secret": {"secretName": "s"}},
        {"name": "scratch", "emptyDir": {}},
    ]
    busy["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "s", "mountPath": "/s"},
        {"name": "scratch", "mountPath": "/scratch"},
    ]
    create(kubeconfig, busy)
    wait_phase(kubeconfig, "busy", "default", ("Running",), timeout=180)
    during = _machine(net)
    assert net.host_veth in during["links"]
    assert f"havre-node-{net.slot}" in during["tables"]
    assert any(c.endswith("/kubepods") for c in during["cgroups"]), during["cgroups"]
    assert node_cleanup.mounts_below(own_stack.state), "the pod's volumes are mounted"
    assert during["sysctls"]["vm/overcommit_memory"] == "1"  # set by the kubelet

    left = stack.down(own_stack)

    assert left == [] and process.marked_pids(own_stack.state) == []
    after = _machine(net)
    print(f"\nmachine before: {before}\nmachine after:  {after}")
    assert after["links"] == before["links"]
    assert after["tables"] == before["tables"]
    assert after["routes"] == before["routes"]
    assert after["cgroups"] == [] and node_cleanup.mounts_below(own_stack.state) == []
    assert not node_host.host_leftovers(net)
    # Restored if no other node runs; else still the running nodes' own until the last stops.
    assert after["sysctls"] == before["sysctls"]
    if others:
        assert node_ledger.recorded().get("users", {}) == others
    else:
        assert after["dirs"] == before["dirs"]
        assert node_ledger.recorded() == {}
