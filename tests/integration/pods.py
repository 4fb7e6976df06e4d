"""Pods on the stack's node, for tests: small pods from locally built images, exec, logs,
and a port-forward through the API server (how tests reach a pod from this machine)."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import yaml

from tests.integration.helpers import kubectl, wait_for

#: Small requests, so test pods fit beside one workspace's Trino on the two-core node.
SMALL = {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}}
#: What PodSecurity ``restricted`` asks of every container (workspace namespaces enforce it).
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def pod(
    name: str,
    namespace: str,
    image: str,
    command: list[str],
    *,
    labels: dict[str, str] | None = None,
    restart: str = "Never",
    ports: list[int] | None = None,
) -> dict[str, Any]:
    """A one-container pod that passes PodSecurity ``restricted`` and fits any quota."""
    container: dict[str, Any] = {
        "name": "main",
        "image": image,
        "imagePullPolicy": "Never",
        "command": command,
        "resources": SMALL,
        "securityContext": RESTRICTED,
    }
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in ports]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {
            "restartPolicy": restart,
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 1,
            "containers": [container],
        },
    }


def create(kubeconfig: str, obj: dict[str, Any]) -> None:
    result = kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(obj))
    assert result.returncode == 0, result.stderr


def get(kubeconfig: str, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    result = kubectl(kubeconfig, "get", kind, name, "-n", namespace, "-o", "json")
    if result.returncode != 0:
        return None
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def wait_phase(
    kubeconfig: str, name: str, namespace: str, phases: tuple[str, ...], timeout: float = 120
) -> dict[str, Any]:
    """Wait until the pod is in one of ``phases`` (Running also needs it Ready)."""

    def reached() -> dict[str, Any] | None:
        obj = get(kubeconfig, "pod", name, namespace)
        if obj is None:
            return None
        phase = obj.get("status", {}).get("phase")
        if phase not in phases:
            return None
        if phase == "Running":
            ready = {c["type"]: c["status"] for c in obj["status"].get("conditions", [])}
            return obj if ready.get("Ready") == "True" else None
        return obj

    return wait_for(f"pod {namespace}/{name} {'/'.join(phases)}", reached, timeout, interval=0.5)


def exec_in(kubeconfig: str, name: str, namespace: str, *command: str, stdin: str = "") -> str:
    """Run ``command`` in the pod (through the API server and the kubelet); its stdout."""
    result = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            kubeconfig,
            "exec",
            "-i",
            "-n",
            namespace,
            name,
            "--",
            *command,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"exec in {namespace}/{name}: {result.stderr}"
    return result.stdout


@contextlib.contextmanager
def port_forward(kubeconfig: str, namespace: str, target: str, port: int) -> Iterator[int]:
    """``kubectl port-forward`` to ``target`` (pod/… or svc/…): the local port on 127.0.0.1."""
    proc = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            kubeconfig,
            "port-forward",
            "-n",
            namespace,
            "--address",
            "127.0.0.1",
            target,
            f":{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert found, f"port-forward to {namespace}/{target}: {line}{proc.stdout.read(500)}"
        # kubectl writes a line per connection: keep its pipe drained.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield int(found.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
