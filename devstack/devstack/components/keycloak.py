"""Keycloak 26 (Quarkus distribution) in production mode, HTTPS only, realm ``havre`` made
by ``havre realm setup`` once the server answers (``devstack.keycloak_realm``).

The distribution is unpacked and ``kc.sh build``-optimized once into the cache, keyed by
version and build options. Each stack gets its own Keycloak home under its state directory:
``bin/kc.sh`` is copied (the script resolves the home from its own real path), ``lib``,
``conf``, ``themes`` and ``providers`` are links into the cached build, and ``data`` (the
dev-file H2 database, ``data/import``) is the stack's own.

The hostname is fixed to ``https://localhost:<port>``, so every token's issuer is
``https://localhost:<port>/realms/havre`` however a client reaches the server.
"""

from __future__ import annotations

import hashlib
import shutil
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from devstack import process
from devstack.component import Component
from devstack.download import extract, fetch_maven, verify_sha1
from devstack.errors import ComponentError
from devstack.java import java_home
from devstack.keycloak_realm import configure_realm
from devstack.paths import cache_root

VERSION = "26.7.3"
HTTPS_PORT = 18543
MANAGEMENT_PORT = 18900
REALM = "havre"
USERS = ("alice", "bob", "carol")
ADMIN_USER = "havre-admin"
OPERATOR_CLIENT = "havre-operator"
TRINO_CLIENT = "trino"
KUBE_CLIENT = "kubernetes"
STORAGE_CLIENT = "minio"
#: The metrics scraper's client (client credentials, tokens for Trino) and its secret's key.
METRICS_CLIENT = "prometheus"
METRICS_SECRET = "keycloak-prometheus-client-secret"
#: The token claim listing a user's object-store policies (MinIO's claim_name).
STORAGE_CLAIM = "storage_policies"
#: Options baked into the optimized server image by ``kc.sh build``; part of the cache key.
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true", "--metrics-enabled=true")
HEAP = "-Xms64m -Xmx768m"
_HOME_LINKS = ("lib", "conf", "themes", "providers", "version.txt")
_BUILT_MARKER = ".havre-built"
#: Dumping the archive lists every skipped class; off, so a failure's log tail stays legible.
_CDS_AUTO = "-XX:+AutoCreateSharedArchive -Xlog:cds*=off -Xlog:aot*=off"


class Keycloak(Component):
    """The identity provider: OIDC tokens for Trino, users and groups for the operator."""

    name = "keycloak"
    version = VERSION
    ready_timeout = 420.0  # a JVM that imports a realm: minutes on a loaded 2-core machine

    @property
    def install(self) -> Path:
        """The cached, build-optimized distribution (shared by every stack)."""
        key = hashlib.sha256(" ".join(BUILD_OPTIONS).encode()).hexdigest()[:12]
        return cache_root() / self.name / VERSION / f"dist-{key}"

    @property
    def home(self) -> Path:
        """This stack's Keycloak home: links into the cached build, its own ``data``."""
        return self.dir / "home"

    @property
    def port(self) -> int:
        """The HTTPS port of the server (OIDC, admin API, admin console)."""
        return self.paths.port(HTTPS_PORT)

    @property
    def management_port(self) -> int:
        """The HTTPS port of the management interface (health, metrics)."""
        return self.paths.port(MANAGEMENT_PORT)

    @property
    def url(self) -> str:
        """The fixed public URL; token issuers derive from it."""
        return f"https://localhost:{self.port}"

    def is_built(self) -> bool:
        """True once the optimized build was renamed into place (it never is half-done)."""
        return (self.install / _BUILT_MARKER).exists()

    def build(self) -> None:
        """Unpack the checksum-verified distribution and run ``kc.sh build`` once."""
        if self.is_built():
            return
        coords = ("org.keycloak", "keycloak-quarkus-dist", VERSION, "zip")
        archive = fetch_maven(self.name, *coords)
        try:
            verify_sha1(self.name, archive, *coords)
        except OSError as exc:
            raise ComponentError(self.name, f"cannot verify {archive.name}: {exc}") from exc
        staging = self.install.with_name(self.install.name + ".build")
        extract(self.name, archive, staging)
        process.run(
            self.name,
            [str(staging / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            log=self.log,
            env=self._java_env(),
            timeout=900,
        )
        (staging / _BUILT_MARKER).write_text(" ".join(BUILD_OPTIONS) + "\n")
        shutil.rmtree(self.install, ignore_errors=True)
        staging.rename(self.install)

    def start(self) -> int | None:
        """Lay out this stack's Keycloak home and start the server (the realm comes after)."""
        if not self.is_built():
            raise ComponentError(self.name, f"not built: {self.install} is missing", self.log)
        cert, key = self.ca.issue(self.name, ips=self.service_addresses)
        self._prepare_home()
        env = self._java_env()
        # Passwords go through the environment, not argv, so ps does not show them.
        env["KC_BOOTSTRAP_ADMIN_USERNAME"] = ADMIN_USER
        env["KC_BOOTSTRAP_ADMIN_PASSWORD"] = self.creds.get("keycloak-admin-password")
        # A class-data archive the JVM writes on first exit: restarts of this stack ~35% faster.
        env["JAVA_OPTS_APPEND"] = f"-XX:SharedArchiveFile={self.dir / 'cds.jsa'} {_CDS_AUTO}"
        argv = [
            str(self.home / "bin" / "kc.sh"),
            "start",
            "--optimized",
            f"--hostname={self.url}",
            "--http-enabled=false",
            "--http-host=127.0.0.1",
            f"--https-port={self.port}",
            f"--https-certificate-file={cert}",
            f"--https-certificate-key-file={key}",
            "--http-management-host=127.0.0.1",
            f"--http-management-port={self.management_port}",
            # A local cache: two stacks on one machine must never form a cluster.
            "--cache=local",
        ]
        return process.spawn(
            self.name, argv, state=self.paths.state, log=self.log, env=env, cwd=self.dir
        )

    def probe(self) -> bool:
        """Ready when the health endpoint says so (the realm is made by ``configure``)."""
        return self._get_ok(f"https://127.0.0.1:{self.management_port}/health/ready")

    def realm_served(self) -> bool:
        """True when the realm's discovery document is served (False on any failure: the
        setup then runs, and it is idempotent)."""
        url = f"https://127.0.0.1:{self.port}/realms/{REALM}/.well-known/openid-configuration"
        try:
            return self._get_ok(url, timeout=15)
        except OSError:
            return False

    def configure(self) -> None:
        """The realm, its clients and mappers (``havre realm setup``), and the test users."""
        configure_realm(
            url=self.url,
            realm=REALM,
            ca=self.ca.cert_path,
            workdir=self.dir,
            admin=(ADMIN_USER, self.creds.get("keycloak-admin-password")),
            operator_secret=self.creds.get("keycloak-operator-client-secret"),
            metrics_secret=self.creds.get(METRICS_SECRET),
            users={user: self.creds.get(f"keycloak-user-{user}") for user in USERS},
            log=self.log,
            served=self.realm_served(),
        )

    def info(self) -> dict[str, Any]:
        """Endpoints, the generated credentials of admin, operator client and test users."""
        issuer = f"{self.url}/realms/{REALM}"
        return {
            "url": self.url,
            "realm": REALM,
            "issuer": issuer,
            "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
            "token_endpoint": f"{issuer}/protocol/openid-connect/token",
            "health_url": f"https://127.0.0.1:{self.management_port}/health/ready",
            "admin_user": ADMIN_USER,
            "admin_password": self.creds.get("keycloak-admin-password"),
            "operator_client_id": OPERATOR_CLIENT,
            "operator_client_secret": self.creds.get("keycloak-operator-client-secret"),
            "trino_client_id": TRINO_CLIENT,
            "metrics_client_id": METRICS_CLIENT,
            "metrics_client_secret": self.creds.get(METRICS_SECRET),
            "kubernetes_client_id": KUBE_CLIENT,
            "storage_client_id": STORAGE_CLIENT,
            "storage_claim": STORAGE_CLAIM,
            "users": {user: self.creds.get(f"keycloak-user-{user}") for user in USERS},
            "ca": str(self.ca.cert_path),
        }

    def _java_env(self) -> dict[str, str]:
        return {"JAVA_HOME": str(java_home(self.name)), "JAVA_OPTS_KC_HEAP": HEAP}

    def _prepare_home(self) -> None:
        (self.home / "bin").mkdir(parents=True, exist_ok=True)
        (self.home / "data" / "import").mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.install / "bin" / "kc.sh", self.home / "bin" / "kc.sh")
        for entry in _HOME_LINKS:
            link = self.home / entry
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(self.install / entry)

    def _get_ok(self, url: str, timeout: float = 2) -> bool:
        context = ssl.create_default_context(cafile=str(self.ca.cert_path))
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except urllib.error.HTTPError:
            return False
