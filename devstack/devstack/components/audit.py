"""Havre's audit receiver (``python -m havre.audit``) as a local process, over HTTPS with a
certificate from the stack CA, writing to an object-lock bucket of the stack's MinIO.

Before the receiver starts, the bucket is created with object lock (compliance mode) and
the receiver gets a MinIO user of its own whose policy reads and appends to that bucket
and nothing else. Retention is one day here (tests must not leave three years of locked
objects); the product default is three years (docs/audit.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, ClassVar

import requests
from pydantic import SecretStr

from devstack import process
from devstack.component import Component
from devstack.components.kube import Kube
from devstack.components.minio import MinIO
from devstack.components.prometheus import Prometheus
from devstack.errors import ComponentError
from devstack.havre_setup import kubectl
from devstack.wait import wait_ready
from havre.audit.admission import render_webhook
from havre.audit.s3 import audit_client
from havre.audit.store import AuditStore, StoreError, receiver_policy
from havre.external.minio import MinioStore
from havre.settings import StorageSettings

BASE_PORT = 25543
METRICS_BASE_PORT = 25102
BUCKET = "havre-audit"
RETENTION_DAYS = 1
#: MinIO user and policy of the receiver.
RECEIVER_USER = "havre-audit"


class Audit(Component):
    """The audit receiver of this stack."""

    name: ClassVar[str] = "audit"
    version: ClassVar[str] = "local"
    ready_timeout: ClassVar[float] = 60.0

    def __init__(self, paths: Any) -> None:
        super().__init__(paths)
        self.port = paths.port(BASE_PORT)
        self.metrics_port = paths.port(METRICS_BASE_PORT)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def key(self) -> str:
        """The receiver key (workspace credentials are HMACs under it)."""
        return self.creds.get("audit_receiver_key", 48)

    def is_built(self) -> bool:
        return True  # Havre's own code, from the checkout

    def build(self) -> None:
        return None

    def _storage(self, minio: MinIO, access_key: str, secret_key: str) -> StorageSettings:
        return StorageSettings(
            url=minio.url,
            access_key=access_key,
            secret_key=SecretStr(secret_key),
            ca_file=str(minio.ca.cert_path),
        )

    def _prepare_storage(self) -> tuple[str, str]:
        """The locked bucket and the receiver's own MinIO user; return its keys."""
        minio = MinIO(self.paths)
        # The stack starts every component before waiting: MinIO may still be starting.
        wait_ready(minio.name, minio.probe, timeout=minio.ready_timeout, log=minio.log)
        root = minio.info()
        admin = self._storage(minio, root["access_key"], root["secret_key"])
        try:
            AuditStore(audit_client(admin), BUCKET, RETENTION_DAYS).ensure_bucket()
        except StoreError as exc:
            raise ComponentError(self.name, f"{exc.reason}: {exc}", self.log) from exc
        store = MinioStore(
            admin.endpoint,
            admin.access_key,
            root["secret_key"],
            secure=admin.secure,
            ca_file=admin.ca_file,
        )
        secret = self.creds.get("audit_receiver_minio_secret", 40)
        store.ensure_policy(RECEIVER_USER, receiver_policy(BUCKET))
        store.ensure_user(RECEIVER_USER, secret)
        store.attach_policy(RECEIVER_USER, RECEIVER_USER)
        return RECEIVER_USER, secret

    def environment(self) -> dict[str, str]:
        """The receiver's settings (also what the tests start it with)."""
        access_key, secret_key = self._prepare_storage()
        # Trino pods reach the receiver at the node link's machine end (service_addresses).
        cert, key = self.ca.issue(self.name, dns=("localhost",), ips=self.service_addresses)
        return {
            "HAVRE_STORAGE_URL": MinIO(self.paths).url,
            "HAVRE_STORAGE_ACCESS_KEY": access_key,
            "HAVRE_STORAGE_SECRET_KEY": secret_key,
            "HAVRE_STORAGE_CA_FILE": str(self.ca.cert_path),
            "HAVRE_AUDIT_RECEIVER_URL": self.url,
            "HAVRE_AUDIT_KEY": self.key,
            "HAVRE_AUDIT_BUCKET": BUCKET,
            "HAVRE_AUDIT_RETENTION_DAYS": str(RETENTION_DAYS),
            "HAVRE_AUDIT_LISTEN": f"127.0.0.1:{self.port}",
            "HAVRE_AUDIT_TLS_CERT_FILE": str(cert),
            "HAVRE_AUDIT_TLS_KEY_FILE": str(key),
            "HAVRE_AUDIT_METRICS_PORT": str(self.metrics_port),
        }

    def start(self) -> int:
        kube = Kube(self.paths)
        argv = [sys.executable, "-m", "havre.audit", "--kubeconfig", str(kube.kubeconfig)]
        pid = process.spawn(
            self.name,
            argv,
            state=self.paths.state,
            log=self.log,
            env=self.environment(),
            cwd=Path(self.dir),
        )
        # The API server shows the receiver who changes Havre's objects (admission.py).
        wait_ready(kube.name, kube.probe, timeout=kube.ready_timeout, log=kube.log)
        webhook = render_webhook(self.ca.cert_path.read_text(), url=self.url)
        kubectl(str(kube.kubeconfig), "apply", "-f", "-", stdin=json.dumps(webhook))
        self._scrape_target()
        return pid

    def _scrape_target(self) -> None:
        """The stack's Prometheus scrapes the receiver as job ``havre-audit`` (file_sd)."""
        targets = Prometheus(self.paths).targets_dir
        targets.mkdir(parents=True, exist_ok=True)
        entry = [{"targets": [f"127.0.0.1:{self.metrics_port}"], "labels": {"job": "havre-audit"}}]
        scratch = targets / ".havre-audit.json.tmp"
        scratch.write_text(json.dumps(entry))
        scratch.replace(targets / "havre-audit.json")

    def probe(self) -> bool:
        resp = requests.get(f"{self.url}/healthz", verify=str(self.ca.cert_path), timeout=2)
        return resp.status_code == 200

    def info(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "port": self.port,
            "metrics_url": f"http://127.0.0.1:{self.metrics_port}/metrics",
            "key": self.key,
            "bucket": BUCKET,
            "retention_days": RETENTION_DAYS,
            "receiver_user": RECEIVER_USER,
            "ca": str(self.ca.cert_path),
        }
