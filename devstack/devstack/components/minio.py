"""MinIO object storage, built from its Go module and run as one local server process.

The server listens on loopback over HTTPS with a certificate from the stack's CA: access
and secret keys travel only to a server every client verifies against that CA
(``info()["ca"]``); Java clients (Trino) get it as a trust store (``devstack.truststore``).
"""

from __future__ import annotations

import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

from devstack import process
from devstack.component import Component
from devstack.components import minio_oidc
from devstack.paths import cache_root
from devstack.toolchain import go_install

MODULE = "github.com/minio/minio"
API_PORT = 19000
CONSOLE_PORT = 19001


class MinIO(Component):
    """An S3 server with generated root credentials and its data under the stack."""

    name: ClassVar[str] = "minio"
    version: ClassVar[str] = "v0.0.0-20260212201848-7aac2a2c5b7c"
    ready_timeout: ClassVar[float] = 60.0

    @property
    def binary(self) -> Path:
        """The ``minio`` program built for this version."""
        return cache_root() / self.name / self.version / "bin" / "minio"

    @property
    def port(self) -> int:
        """The S3 API port of this stack."""
        return self.paths.port(API_PORT)

    @property
    def url(self) -> str:
        """The S3 API base URL."""
        return f"https://127.0.0.1:{self.port}"

    def _certs_dir(self) -> Path:
        """MinIO's ``--certs-dir``: ``public.crt`` and ``private.key`` from the stack CA.

        Symbolic links, on purpose: MinIO then polls them for renewal, where for plain files
        it takes an inotify instance, and a busy machine may have none left to give."""
        cert, key = self.ca.issue(self.name, ips=self.service_addresses)
        certs = self.dir / "certs"
        certs.mkdir(parents=True, exist_ok=True)
        for name, target in (("public.crt", cert), ("private.key", key)):
            link = certs / name
            link.unlink(missing_ok=True)
            link.symlink_to(target.resolve())
        return certs

    def is_built(self) -> bool:
        """True when the built server is in the cache."""
        return self.binary.is_file() and os.access(self.binary, os.X_OK)

    def build(self) -> None:
        """Build the server with ``go install`` (skipped when cached)."""
        if not self.is_built():
            go_install(self.name, MODULE, self.version, self.binary, log=self.log)

    def start(self) -> int:
        """Spawn ``minio server`` on loopback with the stack's root credentials."""
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.binary),
            "server",
            str(data),
            "--address",
            f"127.0.0.1:{self.port}",
            "--console-address",
            f"127.0.0.1:{self.paths.port(CONSOLE_PORT)}",
            "--certs-dir",
            str(self._certs_dir()),
        ]
        env = {
            "MINIO_ROOT_USER": self.creds.get("minio_root_user", 20),
            "MINIO_ROOT_PASSWORD": self.creds.get("minio_root_password"),
            # The machine reaches no update server; don't let MinIO keep trying.
            "MINIO_UPDATE": "off",
            **minio_oidc.openid_environment(self.paths),
            # Bucket usage (the operator's storage metrics, quota accounting) within seconds
            # of a write, not a minute: the stack's store is small, a fast scanner is cheap.
            "MINIO_SCANNER_SPEED": "fastest",
        }
        minio_oidc.record(self.dir, env)
        return process.spawn(
            self.name, argv, state=self.paths.state, log=self.log, env=env, cwd=self.dir
        )

    def probe(self) -> bool:
        """MinIO's own readiness endpoint answers 200, over TLS verified by the stack CA."""
        context = ssl.create_default_context(cafile=str(self.ca.cert_path))
        url = f"{self.url}/minio/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except urllib.error.HTTPError:
            return False

    def info(self) -> dict[str, Any]:
        """S3 endpoint and root credentials."""
        return {
            "endpoint": f"127.0.0.1:{self.port}",
            "url": self.url,
            "console_url": f"https://127.0.0.1:{self.paths.port(CONSOLE_PORT)}",
            "access_key": self.creds.get("minio_root_user", 20),
            "secret_key": self.creds.get("minio_root_password"),
            "secure": True,
            "ca": str(self.ca.cert_path),
            **minio_oidc.info(self.dir),
        }
