"""``python -m havre.audit`` / ``havre-audit``: run the audit receiver.

Settings are the operator's (``HAVRE_STORAGE_*`` for the object store, ``HAVRE_AUDIT_*``
for the trail, see docs/audit.md); the API server from ``--kubeconfig`` or the pod's
service account.
"""

from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys
import time

from aiohttp import web
from prometheus_client import start_http_server

from havre.audit import metrics
from havre.audit.directory import Directory
from havre.audit.receiver import Receiver, make_app
from havre.audit.s3 import audit_client
from havre.audit.store import AuditStore, StoreError
from havre.audit.writer import BatchWriter
from havre.kube.cluster import Cluster
from havre.settings import SettingsError, load_settings


def _wait_for_bucket(store: AuditStore, timeout: float = 120.0) -> StoreError | None:
    """The bucket checked or created; the object store may still be starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            store.ensure_bucket()
        except StoreError as exc:
            if exc.reason == "AuditBucketNotLocked" or time.monotonic() > deadline:
                return exc
            logging.warning("object store not ready (%s); retrying", exc)
            time.sleep(2)
        else:
            return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="havre-audit", description=__doc__)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"havre-audit: {exc}", file=sys.stderr)
        return 2
    audit, storage = settings.audit, settings.storage
    if audit is None or storage is None:
        print("havre-audit: set HAVRE_AUDIT_* and HAVRE_STORAGE_* (docs/audit.md)", file=sys.stderr)
        return 2
    if audit.tls_cert_file is None or audit.tls_key_file is None:
        print("havre-audit: HAVRE_AUDIT_TLS_CERT_FILE and _KEY_FILE are required", file=sys.stderr)
        return 2
    store = AuditStore(audit_client(storage), audit.bucket, audit.retention_days)
    if (problem := _wait_for_bucket(store)) is not None:
        print(f"havre-audit: {problem.reason}: {problem}", file=sys.stderr)
        return 1
    writer = BatchWriter(store)
    writer.start()
    if audit.metrics_port:
        start_http_server(audit.metrics_port, registry=metrics.RECEIVER)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(audit.tls_cert_file, audit.tls_key_file)
    receiver = Receiver(
        key=audit.key.get_secret_value(),
        directory=Directory(Cluster.from_kubeconfig(args.kubeconfig)),
        writer=writer,
    )
    host, _, port = audit.listen.rpartition(":")
    try:
        web.run_app(make_app(receiver), host=host, port=int(port), ssl_context=tls, print=None)
    finally:
        writer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
