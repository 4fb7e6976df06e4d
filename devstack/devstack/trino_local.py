"""Run a workspace's Trino as local processes, from exactly the objects the operator rendered.

No kubelet runs in the devstack, so tests and the demo start the coordinator and worker
Deployments' pods as processes of this machine instead. ``run_rendered_trino`` is the one
place that turns pods into processes, and it changes only what a machine has to:

- **file paths**: every volume of the pod template is laid out under a local directory
  (ConfigMap and Secret items as files, emptyDirs as directories), and each mount path
  that appears in a configuration file is rewritten to its local directory;
- **listen addresses and ports**: ``http-server.https.port`` becomes a local port,
  ``discovery.uri`` the coordinator's loopback address, and each node binds to 127.0.0.1
  (``node.bind-ip``) and announces it as ``127-0-0-1.ip`` (``node.internal-address``), the
  form in which a pod announces its IP when internal TLS is on;
- **what the pod gave implicitly**: ``node.id`` (the image's launcher takes the pod name)
  and the heap (``-Xmx``, kept modest so a coordinator and workers fit on one machine).

Environment variables come from the Secrets the containers reference, as the kubelet
would set them. Everything else — keys, catalogs, access rules, groups — is used as read.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import urllib3

from devstack import process
from devstack.components.trino import install_trino, start_trino, write_private
from devstack.errors import ComponentError

_PROPERTIES_FILES = (".properties", "jvm.config")
LOOPBACK = "127-0-0-1.ip"
#: Where the trinodb/trino image's launcher reads its configuration.
IMAGE_ETC = "/etc/trino"


@dataclass(frozen=True)
class LocalNode:
    """One Trino process standing for one pod."""

    name: str
    component: str
    port: int
    pid: int
    root: Path


@dataclass(frozen=True)
class LocalTrino:
    """The coordinator and workers of one workspace, running on this machine."""

    url: str
    nodes: tuple[LocalNode, ...]
    #: Seconds from the first process start until every node answered ``starting: false``.
    start_seconds: float
    state: Path

    def stop(self) -> None:
        """Stop every node (workers first); safe to call twice."""
        for node in reversed(self.nodes):
            process.stop_component(node.name, self.state)


def run_rendered_trino(
    objects: Iterable[Mapping[str, Any]],
    *,
    name: str,
    root: Path,
    state: Path,
    ports: Iterable[int],
    heap: str = "1G",
    timeout: float = 300.0,
) -> LocalTrino:
    """Start the ``trino-coordinator`` and ``trino-worker`` Deployments found in ``objects``
    (with the ConfigMaps and Secrets they reference, as read back from the API server) as
    local processes under ``root``; return once every node is up.

    ``ports`` gives one free local port per node, the coordinator's first; the worker
    Deployment's replica count is honoured. Processes are named ``<name>-<component>-<i>``
    and carry the stack's mark, so ``devstack down`` ends them too.
    """
    by_kind: dict[str, dict[str, Mapping[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    deployments = by_kind.get("Deployment", {})
    pods = [("coordinator", 0, deployments["trino-coordinator"])]
    worker = deployments.get("trino-worker")
    if worker is not None:
        pods += [("worker", i, worker) for i in range(int(worker["spec"].get("replicas", 1)))]
    free = list(ports)
    if len(free) < len(pods):
        raise ComponentError(name, f"{len(pods)} nodes need {len(pods)} ports, got {len(free)}")
    install_trino(name)
    coordinator_port = free[0]
    started = time.monotonic()
    nodes: list[LocalNode] = []
    try:
        for (component, index, deployment), port in zip(pods, free, strict=False):
            node = LocalNode(
                f"{name}-{component}-{index}", component, port, 0, root / f"{component}-{index}"
            )
            pod = deployment["spec"]["template"]["spec"]
            etc, env = _lay_out_pod(node, pod, by_kind, coordinator_port, heap)
            data = Path(_read(etc / "node.properties")["node.data-dir"])
            with _environment(env):
                pid = start_trino(node.name, etc, data, _log(state, node), state)
            nodes.append(LocalNode(node.name, component, port, pid, node.root))
        for node in nodes:
            _wait_ready(node, state, started + timeout)
    except BaseException:
        LocalTrino("", tuple(nodes), 0.0, state).stop()
        raise
    return LocalTrino(
        url=f"https://localhost:{coordinator_port}",
        nodes=tuple(nodes),
        start_seconds=time.monotonic() - started,
        state=state,
    )


def _log(state: Path, node: LocalNode) -> Path:
    return state / "logs" / f"{node.name}.log"


def _lay_out_pod(
    node: LocalNode,
    pod: Mapping[str, Any],
    by_kind: Mapping[str, Mapping[str, Mapping[str, Any]]],
    coordinator_port: int,
    heap: str,
) -> tuple[Path, dict[str, str]]:
    """Write the pod's volumes under ``node.root``; return the local etc dir and the env."""
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    local: dict[str, Path] = {}
    for mount in container["volumeMounts"]:
        target = node.root / "volumes" / mount["name"]
        _materialise(volumes[mount["name"]], target, by_kind)
        local[mount["mountPath"]] = target
    etc = local[IMAGE_ETC]
    for path in sorted(etc.rglob("*")):
        if path.is_file() and path.name.endswith(_PROPERTIES_FILES):
            write_private(path, _rewrite_paths(path.read_text(), local))
    _override(etc, node, coordinator_port, heap)
    secrets = by_kind.get("Secret", {})
    env = {}
    for var in container.get("env", []):
        ref = var["valueFrom"]["secretKeyRef"]
        env[var["name"]] = _secret_value(secrets, ref["name"], ref["key"])
    return etc, env


def _materialise(
    volume: Mapping[str, Any], target: Path, by_kind: Mapping[str, Mapping[str, Any]]
) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if "emptyDir" in volume:
        return
    if "projected" in volume:
        for source in volume["projected"]["sources"]:
            config_map = by_kind["ConfigMap"][source["configMap"]["name"]]
            binary = config_map.get("binaryData", {})
            for item in source["configMap"]["items"]:
                path = target / item["path"]
                if item["key"] in binary:  # e.g. the Java trust store
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(base64.b64decode(binary[item["key"]]))
                    path.chmod(0o600)
                else:
                    write_private(path, config_map["data"][item["key"]])
        return
    if "secret" in volume:
        secret = volume["secret"]["secretName"]
        for key in by_kind["Secret"][secret]["data"]:
            write_private(target / key, _secret_value(by_kind["Secret"], secret, key))
        return
    raise ComponentError("trino-local", f"volume kind not supported: {sorted(volume)}")


def _secret_value(secrets: Mapping[str, Mapping[str, Any]], name: str, key: str) -> str:
    try:
        return base64.b64decode(secrets[name]["data"][key]).decode()
    except KeyError:
        # Name the Secret and key only: the values must never reach a message.
        raise ComponentError("trino-local", f"Secret {name} has no key {key}") from None


def _rewrite_paths(text: str, local: Mapping[str, Path]) -> str:
    # One pass, longest mount first, at path boundaries only: /etc/trino must not match
    # /etc/trino-tls, and a rewritten path must not be rewritten again.
    mounts = "|".join(re.escape(m) for m in sorted(local, key=len, reverse=True))
    pattern = re.compile(rf"(?<=[=\s,:])({mounts})(?=/|$)", re.M)
    return pattern.sub(lambda found: str(local[found.group(1)]), text)


def _read(path: Path) -> dict[str, str]:
    lines = [ln for ln in path.read_text().splitlines() if "=" in ln]
    return dict(ln.split("=", 1) for ln in lines)


def _set(path: Path, values: Mapping[str, str]) -> None:
    lines = [ln for ln in path.read_text().splitlines() if ln.split("=", 1)[0] not in values]
    write_private(path, "\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n")


def _override(etc: Path, node: LocalNode, coordinator_port: int, heap: str) -> None:
    """The documented overrides: ports, loopback addresses, node id, heap."""
    _set(
        etc / "config.properties",
        {
            "http-server.https.port": str(node.port),
            "discovery.uri": f"https://127.0.0.1:{coordinator_port}",
        },
    )
    _set(
        etc / "node.properties",
        # The form Trino announces a pod's IP in (IP_ENCODED_AS_HOSTNAME): nodes then ask for
        # each other's internally derived certificate by name, as they do in the cluster.
        {"node.id": node.name, "node.bind-ip": "127.0.0.1", "node.internal-address": LOOPBACK},
    )
    jvm = [ln for ln in (etc / "jvm.config").read_text().splitlines() if not ln.startswith("-Xmx")]
    write_private(etc / "jvm.config", "\n".join([jvm[0], f"-Xmx{heap}", *jvm[1:]]) + "\n")


@contextlib.contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    # start_trino passes os.environ on to the server; the pod's variables go there briefly.
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _wait_ready(node: LocalNode, state: Path, deadline: float) -> None:
    """Poll /v1/info like the pod's readiness probe (which verifies no certificate either)."""
    url = f"https://127.0.0.1:{node.port}/v1/info"
    while time.monotonic() < deadline:
        if not process.alive(node.pid):
            raise ComponentError(node.name, "exited during start", _log(state, node))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                resp = requests.get(url, verify=False, timeout=2)  # noqa: S501
            if resp.status_code == 200 and resp.json().get("starting") is False:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise ComponentError(node.name, f"not ready at {url} in time", _log(state, node))
