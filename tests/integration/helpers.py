"""Helpers for tests against the real API server: kubectl, bounded waits, the operator."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import yaml

ROOT = Path(__file__).parents[2]
T = TypeVar("T")


def kubectl(
    kubeconfig: str, *args: str, as_user: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run kubectl; never raises on a non-zero exit (tests assert on it)."""
    command = ["kubectl", "--kubeconfig", kubeconfig, *args]
    if as_user:
        command += ["--as", as_user]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def havre(kubeconfig: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``havre`` command line with the operator's settings; never raises."""
    return subprocess.run(
        [sys.executable, "-m", "havre.cli", *args],
        env={**os.environ, **env, "KUBECONFIG": kubeconfig},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def service_account_kubeconfig(
    admin_kubeconfig: str,
    path: Path,
    namespace: str = "havre-system",
    account: str = "havre-operator",
) -> str:
    """A kubeconfig that authenticates as ``namespace/account`` with a bound token (default:
    the operator's own service account)."""
    token = kubectl(admin_kubeconfig, "create", "token", account, "-n", namespace, "--duration=1h")
    assert token.returncode == 0, token.stderr
    admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
    cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [{"name": account, "user": {"token": token.stdout.strip()}}],
        "contexts": [{"name": account, "context": {"cluster": cluster["name"], "user": account}}],
        "current-context": account,
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return str(path)


def wait_for(
    what: str, probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OperatorProcess:
    """The real operator (``python -m havre``) as a child process of the test session."""

    def __init__(
        self,
        kubeconfig: str,
        log: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.startup_timeout = startup_timeout
        self.log = log
        self.env = env or {}
        self.args = args  # more command-line options, e.g. ("--peering", NAME)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        # /metrics on loopback, on the port the caller names or a free one (several
        # operators of a test session must not meet on the default 8081).
        self.metrics_port = int(self.env.get("HAVRE_METRICS_PORT") or free_port())

    def start(self) -> None:
        env = {
            **os.environ,
            "KUBECONFIG": self.kubeconfig,
            "HAVRE_REPAIR_INTERVAL": "2",
            # Drift of what the operator watches (bindings, namespaces, network policies) is
            # repaired at the next tick; the rest waits for an audit. Audits every 30 s: an
            # audit of every workspace of the session every 2 s starved the operator.
            "HAVRE_AUDIT_INTERVAL": "30",
            "HAVRE_METRICS_ADDRESS": "127.0.0.1",
            "HAVRE_METRICS_PORT": str(self.metrics_port),
            "HAVRE_METRICS_USAGE_INTERVAL": "2",
            **self.env,
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "havre",
                "--liveness",
                f"http://127.0.0.1:{self.port}/healthz",
                *self.args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        out.close()
        wait_for("the operator's liveness endpoint", self._live, timeout=self.startup_timeout)

    def _live(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"operator exited with {self.proc.returncode}; see {self.log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no cleanup, as a crash or an evicted pod would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def running_operator(request: pytest.FixtureRequest) -> OperatorProcess | None:
    """The session's operator if an earlier module started it, without starting it (it
    needs Keycloak): a module that runs operators of its own stops it meanwhile."""
    definitions = request._fixturemanager.getfixturedefs("operator", request.node)
    for definition in definitions or ():
        cached = definition.cached_result
        if cached is not None and isinstance(cached[0], OperatorProcess):
            return cached[0]
    return None
