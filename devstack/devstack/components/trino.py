"""Trino 476: the server tarball plus the plugins Havre uses, run from a generated etc dir.

The install (``install_trino``), the pieces of an etc dir (``node_properties``,
``server_properties``, ``write_jvm_config``, ``bcrypt_line``) and ``start_trino`` are
reusable: per-workspace Trinos render their own etc dir and start from the same install.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import bcrypt
import requests
import trino
import trino.auth

from devstack import process
from devstack.component import Component
from devstack.download import extract, fetch_maven, verify_sha1
from devstack.errors import ComponentError
from devstack.java import java_home
from devstack.paths import StackPaths, cache_root
from devstack.server_plugin import install_server_plugin
from devstack.tls import StackCA

VERSION = "476"
GROUP = "io.trino"
#: plugin directory name -> Maven artifact (zip); the core tarball ships no connector.
PLUGINS = {"memory": "trino-memory", "iceberg": "trino-iceberg"}
#: plugins published only as a folder of the full server tarball (server_plugin.py)
SERVER_PLUGINS = ("http-event-listener",)
ADMIN_USER = "havre-admin"
_COMPLETE = ".havre-complete"

#: Trino's recommended JVM flags (from its Docker image), minus the heap size.
JVM_FLAGS = (
    "-XX:G1HeapRegionSize=32M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-XX:+EnableDynamicAgentLoading",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:G1NumCollectionsKeepPinned=10000000",
    # JDK 25 otherwise warns that JNA's native calls and JOL's Unsafe use will be blocked.
    "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow",
)


def install_dir() -> Path:
    """Where Trino VERSION with its plugins is installed (shared by every stack)."""
    return cache_root() / "trino" / VERSION


def is_installed() -> bool:
    """True when the install finished (the marker is written last, before the rename) and
    holds every server plugin (an install made before one was added gets it added)."""
    plugins = install_dir() / "plugin"
    return (install_dir() / _COMPLETE).exists() and all(
        (plugins / name).is_dir() for name in SERVER_PLUGINS
    )


def install_trino(component: str = "trino") -> Path:
    """Install trino-server-core plus the plugin zips into the cache once; return its path."""
    final = install_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    # Two stacks starting together must not unpack into the same staging dir.
    with (final.parent / f".{VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed():
            return final
        if (final / _COMPLETE).exists():
            _add_server_plugins(component, final)
            return final
        staging = final.with_name(f"{VERSION}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        extract(component, _fetch(component, "trino-server-core", "tar.gz"), staging)
        for plugin, artifact in PLUGINS.items():
            extract(component, _fetch(component, artifact, "zip"), staging / "plugin" / plugin)
        _add_server_plugins(component, staging)
        (staging / _COMPLETE).write_text(VERSION)
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    return final


def _add_server_plugins(component: str, home: Path) -> None:
    for plugin in SERVER_PLUGINS:
        if not (home / "plugin" / plugin).is_dir():
            install_server_plugin(component, GROUP, VERSION, plugin, home / "plugin" / plugin)


def _fetch(component: str, artifact: str, ext: str) -> Path:
    path = fetch_maven(component, GROUP, artifact, VERSION, ext)
    # The downloads dir may have been filled by hand; check each file once, at install.
    try:
        verify_sha1(component, path, GROUP, artifact, VERSION, ext)
    except OSError as exc:
        raise ComponentError(component, f"cannot check {path.name}: {exc}") from exc
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file readable only by us (config files here may hold secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)


def write_properties(path: Path, props: Mapping[str, str]) -> None:
    """Write a Java properties file (mode 0600)."""
    write_private(path, "".join(f"{key}={value}\n" for key, value in props.items()))


def write_jvm_config(etc_dir: Path, max_heap: str = "1G", trust_store: Path | None = None) -> None:
    """etc/jvm.config: Trino's recommended flags with a fixed, modest heap; with
    ``trust_store`` the JVM's own TLS clients (S3 to MinIO) trust exactly its CAs."""
    flags = ["-server", f"-Xmx{max_heap}", *JVM_FLAGS]
    if trust_store is not None:
        flags += [
            f"-Djavax.net.ssl.trustStore={trust_store}",
            "-Djavax.net.ssl.trustStoreType=PKCS12",
        ]
        flags += [f"-Djavax.net.ssl.trustStorePassword={TRUST_STORE_PASSWORD}"]
    write_private(etc_dir / "jvm.config", "\n".join(flags) + "\n")


#: Guards the trust store's integrity only: it holds certificates, no key.
TRUST_STORE_PASSWORD = "changeit"


def stack_trust_store(state: Path, component: str = "trino") -> Path:
    """The stack's CA as a PKCS#12 trust store made by the JDK's keytool (once)."""
    ca = StackCA(state)
    ca.ensure()
    store = ca.dir / "truststore.p12"
    if store.exists():
        return store
    keytool = java_home(component) / "bin" / "keytool"
    scratch = store.with_suffix(".tmp")
    scratch.unlink(missing_ok=True)
    process.run(
        component,
        [
            str(keytool), "-importcert", "-noprompt", "-alias", "havre-devstack-ca",
            "-file", str(ca.cert_path), "-keystore", str(scratch), "-storetype", "PKCS12",
            "-storepass", TRUST_STORE_PASSWORD,
        ],
        log=state / "logs" / f"{component}.log",
        timeout=60,
    )  # fmt: skip
    scratch.rename(store)
    return store


def node_properties(node_id: str, data_dir: Path, environment: str = "havre_dev") -> dict[str, str]:
    """node.properties of a node that listens on, and announces, the loopback address only."""
    return {
        "node.environment": environment,
        "node.id": node_id,
        "node.data-dir": str(data_dir),
        "node.bind-ip": "127.0.0.1",
        "node.internal-address": "127.0.0.1",
    }


def server_properties(
    port: int, keystore: Path, ca: Path, shared_secret: str, query_memory: str = "300MB"
) -> dict[str, str]:
    """config.properties of a single HTTPS-only coordinator that also runs the tasks.

    Plain HTTP is off entirely; nodes talk to each other over the same TLS port, trusting
    the stack CA, and authenticate with the shared secret.
    """
    return {
        "coordinator": "true",
        "node-scheduler.include-coordinator": "true",
        "http-server.http.enabled": "false",
        "http-server.https.enabled": "true",
        "http-server.https.port": str(port),
        "http-server.https.keystore.path": str(keystore),
        "discovery.uri": f"https://127.0.0.1:{port}",
        "internal-communication.shared-secret": shared_secret,
        "internal-communication.https.required": "true",
        "internal-communication.https.truststore.path": str(ca),
        "query.max-memory": query_memory,
        "query.max-memory-per-node": query_memory,
        "memory.heap-headroom-per-node": query_memory,
    }


def bcrypt_line(user: str, password: str) -> str:
    """One password-file line; Trino's file authenticator only accepts bcrypt as ``$2y$``."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    return f"{user}:$2y${hashed.split('$', 2)[2]}\n"


def start_trino(name: str, etc_dir: Path, data_dir: Path, log: Path, state: Path) -> int:
    """Run Trino's own launcher in the foreground on a prepared etc dir; return its pid.

    The launcher execs the JVM in place, so the pid is the server's.
    """
    home = install_trino(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale_pid_file(data_dir)
    java = java_home(name)
    argv = [
        str(home / "bin" / "launcher"),
        "run",
        f"--jvm-dir={java}",
        f"--etc-dir={etc_dir}",
        f"--data-dir={data_dir}",
    ]
    env = {"JAVA_HOME": str(java)}
    return process.spawn(name, argv, state=state, log=log, env=env, cwd=data_dir)


def _clear_stale_pid_file(data_dir: Path) -> None:
    pid_file = data_dir / "var" / "run" / "launcher.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    # A stopped server lingers as a zombie until init reaps it; the launcher would refuse.
    if not process.alive(pid):
        pid_file.unlink(missing_ok=True)


def _require_free_port(name: str, port: int, log: Path) -> None:
    # Trino's own bind failure ends in a long Guice stack trace; say it plainly first.
    with socket.socket() as sock:
        # Like the server: connections in TIME_WAIT after a restart do not block the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ComponentError(name, f"port {port} on 127.0.0.1 is taken: {exc}", log) from exc


class Trino(Component):
    """A single Trino coordinator that also runs tasks: HTTPS only, password login."""

    name: ClassVar[str] = "trino"
    version: ClassVar[str] = VERSION
    ready_timeout: ClassVar[float] = 180.0
    BASE_PORT: ClassVar[int] = 18443

    def __init__(self, paths: StackPaths) -> None:
        super().__init__(paths)
        self.port = paths.port(self.BASE_PORT)

    @property
    def etc(self) -> Path:
        """The generated configuration directory of this stack's Trino."""
        return self.dir / "etc"

    @property
    def password(self) -> str:
        """The generated password of ``havre-admin``."""
        return self.creds.get("trino_admin_password")

    def is_built(self) -> bool:
        return is_installed()

    def build(self) -> None:
        install_trino(self.name)

    def start(self) -> int:
        _require_free_port(self.name, self.port, self.log)
        self.write_etc()
        return start_trino(self.name, self.etc, self.dir / "data", self.log, self.paths.state)

    def write_etc(self) -> None:
        """Render node, JVM, server, password authentication and catalog configuration."""
        data_dir = self.dir / "data"
        write_properties(self.etc / "node.properties", node_properties("havre-trino", data_dir))
        write_jvm_config(self.etc)
        server = server_properties(
            self.port,
            keystore=self.ca.combined_pem(self.name),
            ca=self.ca.cert_path,
            shared_secret=self.creds.get("trino_shared_secret", 64),
        )
        server["http-server.authentication.type"] = "PASSWORD"
        write_properties(self.etc / "config.properties", server)
        password_file = self.etc / "password.db"
        write_private(password_file, bcrypt_line(ADMIN_USER, self.password))
        write_properties(
            self.etc / "password-authenticator.properties",
            {"password-authenticator.name": "file", "file.password-file": str(password_file)},
        )
        write_properties(self.etc / "catalog" / "memory.properties", {"connector.name": "memory"})

    def probe(self) -> bool:
        """Started, and a real query finds an active node (the coordinator registers itself
        in discovery a moment after /v1/info says it has started)."""
        resp = requests.get(
            f"https://127.0.0.1:{self.port}/v1/info", verify=str(self.ca.cert_path), timeout=2
        )
        if resp.status_code != 200 or resp.json().get("starting") is not False:
            return False
        session = requests.Session()
        session.verify = str(self.ca.cert_path)
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace verify
        conn = trino.dbapi.Connection(
            host="127.0.0.1",
            port=self.port,
            user=ADMIN_USER,
            http_scheme="https",
            auth=trino.auth.BasicAuthentication(ADMIN_USER, self.password),
            http_session=session,
            request_timeout=5,
        )
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'")
            return bool(cursor.fetchall()[0][0] > 0)
        finally:
            conn.close()  # type: ignore[no-untyped-call]

    def info(self) -> dict[str, Any]:
        return {
            "url": f"https://127.0.0.1:{self.port}",
            "host": "127.0.0.1",
            "port": self.port,
            "user": ADMIN_USER,
            "password": self.password,
            "ca": str(self.ca.cert_path),
        }
