"""Prometheus from the machine's Debian package, scraping itself, the stack's Havre
operator, MinIO, and file-discovered targets; evaluating the rule files put in its rules dir.

- Job ``havre-operator``: the operator's ``/metrics`` at the stack's operator metrics port
  (``operator_metrics_port``; run the operator with ``HAVRE_METRICS_PORT`` set to it).
- Job ``minio``: MinIO's cluster metrics, with a bearer token signed by the stack's MinIO
  root credentials (MinIO's own scheme for Prometheus).
- Job ``havre-trino``: each workspace Trino's own ``/metrics`` (OpenMetrics) on its
  coordinator pod's HTTPS port, reached at the pod's address through the node's link. The
  targets are file_sd files in ``trino_targets_dir`` (``devstack.trino_targets`` writes
  them from the coordinator pods; Debian's Prometheus 2.42 has no Kubernetes discovery).
  TLS is verified with the stack CA; the scrape authenticates with a Keycloak token of the
  ``prometheus`` client (client credentials, ``trino`` audience), which Prometheus fetches
  and renews itself (``oauth2``). Series are labelled by workspace only.
- Clients add scrape targets by dropping file_sd JSON files into ``targets_dir``; Prometheus
  re-reads them within about a second, without a restart.
- Rule files (``*.yaml``) copied into ``rules_dir`` are loaded at start and on
  ``POST /-/reload`` (the lifecycle API listens on loopback only, like everything else).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import yaml

from devstack import process
from devstack.component import Component
from devstack.components.keycloak import HTTPS_PORT as KEYCLOAK_PORT
from devstack.components.keycloak import METRICS_CLIENT, METRICS_SECRET, REALM
from devstack.components.minio import API_PORT as MINIO_PORT
from devstack.errors import ComponentError
from devstack.toolchain import apt_install, dpkg_version
from havre.metrics.trino import TRINO_JOB, TRINO_LABELS, keep_regex

PACKAGE = "prometheus"
BASE_PORT = 19090
FILE_SD_JOB = "file_sd"
OPERATOR_JOB = "havre-operator"
TRINO_INTERVAL = "5s"
#: The name every workspace Trino's certificate holds on this platform (havre_setup's
#: HAVRE_TRINO_EXTRA_DNS_NAMES): Prometheus verifies the chain to the stack CA and this name.
TRINO_SERVER_NAME = "localhost"
#: The stack's operator serves /metrics on this port plus the stack's port offset.
OPERATOR_METRICS_BASE_PORT = 25081
# Scrape and evaluate often: tests wait for a fresh sample or a firing alert in seconds.
FAST = "2s"


def operator_metrics_port(port_offset: int) -> int:
    """Where the stack's operator serves /metrics (and this Prometheus scrapes it)."""
    return OPERATOR_METRICS_BASE_PORT + port_offset


def minio_token(access_key: str, secret_key: str, lifetime_s: int = 10 * 365 * 86400) -> str:
    """A JWT that MinIO accepts on its metrics endpoints: HS512 with the secret key,
    subject the access key, issuer ``prometheus`` (what ``mc admin prometheus generate``
    makes)."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {"exp": int(time.time()) + lifetime_s, "sub": access_key, "iss": "prometheus"}
    signing = f"{part({'alg': 'HS512', 'typ': 'JWT'})}.{part(claims)}"
    mac = hmac.new(secret_key.encode(), signing.encode(), hashlib.sha512).digest()
    return f"{signing}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _program(name: str) -> Path | None:
    found = shutil.which(name, path="/usr/bin:/usr/local/bin:/bin")
    return Path(found) if found else None


class Prometheus(Component):
    """A Prometheus server on loopback with its TSDB and configuration in the stack."""

    name: ClassVar[str] = "prometheus"
    version: ClassVar[str] = dpkg_version(PACKAGE) or "not installed"
    ready_timeout: ClassVar[float] = 60.0

    @property
    def port(self) -> int:
        """The HTTP port of this stack's Prometheus."""
        return self.paths.port(BASE_PORT)

    @property
    def url(self) -> str:
        """Base URL of the web UI and HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        """The generated prometheus.yml."""
        return self.dir / "prometheus.yml"

    @property
    def targets_dir(self) -> Path:
        """Directory whose ``*.json`` files list extra scrape targets (file_sd format)."""
        return self.dir / "targets"

    @property
    def rules_dir(self) -> Path:
        """Directory whose ``*.yaml`` rule files are loaded (at start and on reload)."""
        return self.dir / "rules"

    @property
    def operator_target(self) -> str:
        return f"127.0.0.1:{operator_metrics_port(self.paths.port_offset)}"

    @property
    def trino_targets_dir(self) -> Path:
        """file_sd files of the workspaces' Trino coordinators (``devstack.trino_targets``)."""
        return self.dir / "trino-targets"

    def _metrics_secret_file(self) -> Path:
        secret = self.dir / "prometheus-client.secret"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.creds.get(METRICS_SECRET))
        return secret

    def _trino_job(self) -> dict[str, Any]:
        """Each workspace's coordinator: HTTPS verified with the stack CA, a client-credentials
        token from the stack's Keycloak, the namespace relabelled to ``workspace``."""
        keycloak = f"https://localhost:{self.paths.port(KEYCLOAK_PORT)}/realms/{REALM}"
        tls = {"ca_file": str(self.ca.cert_path)}
        return {
            "job_name": TRINO_JOB,
            # A scrape may wait for a token from Keycloak first: more time than FAST.
            "scrape_interval": TRINO_INTERVAL,
            "scrape_timeout": TRINO_INTERVAL,
            "scheme": "https",
            "metrics_path": "/metrics",
            "tls_config": {**tls, "server_name": TRINO_SERVER_NAME},
            "oauth2": {
                "client_id": METRICS_CLIENT,
                "client_secret_file": str(self._metrics_secret_file()),
                "token_url": f"{keycloak}/protocol/openid-connect/token",
                "tls_config": tls,
            },
            "file_sd_configs": [
                {"files": [str(self.trino_targets_dir / "*.json")], "refresh_interval": "1s"}
            ],
            "relabel_configs": [
                {
                    "source_labels": ["__meta_havre_namespace"],
                    "regex": "ws-(.+)",
                    "target_label": "workspace",
                },
                # One series per workspace, whichever pod serves it now.
                {"source_labels": ["workspace"], "target_label": "instance"},
            ],
            "metric_relabel_configs": [
                # The few series Havre documents, of Trino's thousands.
                {"source_labels": ["__name__"], "action": "keep", "regex": keep_regex()},
                # Where a series comes from and its workspace; no user, query or pod label.
                {"action": "labelkeep", "regex": "|".join(("__name__", *TRINO_LABELS))},
            ],
        }

    def _minio_token_file(self) -> Path:
        token = self.dir / "minio.token"
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(
                minio_token(
                    self.creds.get("minio_root_user", 20), self.creds.get("minio_root_password")
                )
            )
        return token

    def is_built(self) -> bool:
        """True when both ``prometheus`` and ``promtool`` are installed."""
        return _program("prometheus") is not None and _program("promtool") is not None

    def build(self) -> None:
        """Install the Debian package when the programs are missing."""
        if self.is_built():
            return
        apt_install(self.name, [PACKAGE], log=self.log)
        if not self.is_built():
            raise ComponentError(
                self.name, f"{PACKAGE} installed but promtool is missing", self.log
            )
        Prometheus.version = dpkg_version(PACKAGE) or "unknown"

    def _write_config(self) -> None:
        config = {
            "global": {"scrape_interval": "5s", "evaluation_interval": FAST},
            "rule_files": [str(self.rules_dir / "*.yaml")],
            "scrape_configs": [
                {
                    "job_name": "prometheus",
                    "static_configs": [{"targets": [f"127.0.0.1:{self.port}"]}],
                },
                {
                    "job_name": OPERATOR_JOB,
                    "scrape_interval": FAST,
                    "scrape_timeout": FAST,
                    "static_configs": [{"targets": [self.operator_target]}],
                },
                {
                    "job_name": "minio",
                    "metrics_path": "/minio/v2/metrics/cluster",
                    # MinIO serves HTTPS from the stack CA; the bearer token travels only so.
                    "scheme": "https",
                    "tls_config": {"ca_file": str(self.ca.cert_path)},
                    "authorization": {
                        "type": "Bearer",
                        "credentials_file": str(self._minio_token_file()),
                    },
                    "static_configs": [{"targets": [f"127.0.0.1:{self.paths.port(MINIO_PORT)}"]}],
                },
                self._trino_job(),
                {
                    "job_name": FILE_SD_JOB,
                    # Short intervals so a freshly added target is scraped within seconds.
                    "scrape_interval": "2s",
                    "scrape_timeout": "2s",
                    "file_sd_configs": [
                        {"files": [str(self.targets_dir / "*.json")], "refresh_interval": "1s"}
                    ],
                },
            ],
        }
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        self.trino_targets_dir.mkdir(parents=True, exist_ok=True)
        self.rules_dir.mkdir(parents=True, exist_ok=True)
        scratch = self.config.with_suffix(".yml.tmp")
        scratch.write_text(yaml.safe_dump(config, sort_keys=False))
        scratch.replace(self.config)

    def _check_config(self, promtool: Path) -> None:
        try:
            result = subprocess.run(
                [str(promtool), "check", "config", str(self.config)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ComponentError(self.name, f"promtool could not run: {exc}", self.log) from exc
        output = (result.stdout + result.stderr).strip()
        with self.log.open("a") as out:
            out.write(f"promtool check config {self.config}:\n{output}\n")
        if result.returncode != 0:
            raise ComponentError(self.name, f"promtool rejected {self.config}:\n{output}", self.log)

    def start(self) -> int:
        """Write and validate the configuration, then spawn the server on loopback."""
        prometheus, promtool = _program("prometheus"), _program("promtool")
        if prometheus is None or promtool is None:
            raise ComponentError(self.name, "prometheus/promtool not installed", self.log)
        self._write_config()
        self._check_config(promtool)
        argv = [
            str(prometheus),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
        ]
        return process.spawn(self.name, argv, state=self.paths.state, log=self.log, cwd=self.dir)

    def probe(self) -> bool:
        """Prometheus' own readiness endpoint answers 200."""
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except urllib.error.HTTPError:
            return False

    def info(self) -> dict[str, Any]:
        """API URL, the file_sd directory and job, the rules directory, the operator's
        scrape target and job, and the configuration file."""
        return {
            "url": self.url,
            "targets_dir": str(self.targets_dir),
            "file_sd_job": FILE_SD_JOB,
            "rules_dir": str(self.rules_dir),
            "operator_job": OPERATOR_JOB,
            "operator_target": self.operator_target,
            "trino_job": TRINO_JOB,
            "trino_targets_dir": str(self.trino_targets_dir),
            "config": str(self.config),
        }
