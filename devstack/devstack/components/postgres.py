"""PostgreSQL 15 from the machine's Debian packages, one cluster per stack.

Logins travel only over TLS, with a server certificate from the stack's CA: clients use
``sslmode=verify-full`` with that CA (``info()["ca"]``), so a server presenting any other
certificate is refused before a password is sent.

PostgreSQL refuses to run as root, so when the stack runs as root, ``initdb`` and the
server run as the ``postgres`` system user (``setpriv``, which execs in place and keeps
the environment, so the stack's mark reaches the server and every backend).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import psycopg

from devstack import process
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.node_network import NodeNetwork
from devstack.toolchain import apt_install, dpkg_version

PACKAGE = "postgresql-15"
BIN = Path("/usr/lib/postgresql/15/bin")
BASE_PORT = 15432
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"


class Postgres(Component):
    """A PostgreSQL cluster on loopback, password (SCRAM) logins over TLS only."""

    name: ClassVar[str] = "postgres"
    version: ClassVar[str] = dpkg_version(PACKAGE) or "15"
    ready_timeout: ClassVar[float] = 60.0

    @property
    def port(self) -> int:
        """The TCP port of this stack's cluster."""
        return self.paths.port(BASE_PORT)

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.dir / "data"

    @property
    def password(self) -> str:
        """The generated superuser password."""
        return self.creds.get("postgres_superuser_password")

    def is_built(self) -> bool:
        """True when the PostgreSQL 15 server programs are installed."""
        return (BIN / "postgres").is_file() and (BIN / "initdb").is_file()

    def build(self) -> None:
        """Install the Debian package when the server programs are missing."""
        if self.is_built():
            return
        apt_install(self.name, [PACKAGE], log=self.log)
        if not self.is_built():
            raise ComponentError(
                self.name, f"{PACKAGE} installed but {BIN} has no server", self.log
            )
        Postgres.version = dpkg_version(PACKAGE) or "15"

    def _as_owner(self) -> list[str]:
        """Command prefix that runs a program as the cluster's owner."""
        if os.geteuid() != 0:
            return []
        return [
            "setpriv",
            f"--reuid={SYSTEM_USER}",
            f"--regid={SYSTEM_USER}",
            "--init-groups",
            "--",
        ]

    def _give_to_owner(self, path: Path) -> None:
        """Make ``path`` the cluster owner's, private (PostgreSQL insists on 0700)."""
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SYSTEM_USER)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _check_owner_can_reach(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise ComponentError(
                self.name, f"no '{SYSTEM_USER}' system user to run PostgreSQL as", self.log
            ) from None
        reach = subprocess.run([*self._as_owner(), "test", "-x", str(self.dir)], check=False)
        if reach.returncode != 0:
            raise ComponentError(
                self.name,
                f"the '{SYSTEM_USER}' user cannot enter {self.dir}: its parent directories "
                "must be traversable (chmod o+x), or put HAVRE_STACK_DIR elsewhere",
                self.log,
            )

    def _initdb(self) -> None:
        """Create the cluster in a scratch directory, renamed into place when complete."""
        scratch = self.dir / "data.init"
        shutil.rmtree(scratch, ignore_errors=True)
        self._give_to_owner(scratch)
        pwfile = self.dir / ".pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SYSTEM_USER)
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        argv = [
            *self._as_owner(),
            str(BIN / "initdb"),
            f"--pgdata={scratch}",
            f"--username={SUPERUSER}",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]
        try:
            process.run(self.name, argv, log=self.log, timeout=300)
        finally:
            pwfile.unlink(missing_ok=True)
        scratch.rename(self.data)

    def _write_hba(self) -> None:
        # Rewritten on every start: TLS with SCRAM passwords from loopback, and from the node's
        # pods (their packets reach 127.0.0.1 with their own address), nothing else.
        hba = self.data / "pg_hba.conf"
        pods = NodeNetwork(self.paths.port_offset).pod_cidr
        hba.write_text(
            "# Written by devstack: password (SCRAM) logins over TLS from loopback and pods.\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            f"hostssl all all {pods} scram-sha-256\n"
        )
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SYSTEM_USER)
            os.chown(hba, owner.pw_uid, owner.pw_gid)

    def _server_certificate(self) -> tuple[Path, Path]:
        """The stack CA's certificate for this server, copied where only its owner reads the
        key (PostgreSQL refuses a key others may read)."""
        cert, key = self.ca.issue(self.name, ips=self.service_addresses)
        folder = self.dir / "tls"
        self._give_to_owner(folder)
        copies = []
        for source, name, mode in ((cert, "server.crt", 0o644), (key, "server.key", 0o600)):
            target = folder / name
            target.unlink(missing_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "wb") as out:
                out.write(source.read_bytes())
            if os.geteuid() == 0:
                owner = pwd.getpwnam(SYSTEM_USER)
                os.chown(target, owner.pw_uid, owner.pw_gid)
            copies.append(target)
        return copies[0], copies[1]

    def start(self) -> int:
        """Initialise the cluster on first start, then spawn the server on loopback."""
        self._check_owner_can_reach()
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self._write_hba()
        cert, key = self._server_certificate()
        sockets = self.dir / "run"
        self._give_to_owner(sockets)
        argv = [
            *self._as_owner(),
            str(BIN / "postgres"),
            "-D",
            str(self.data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={sockets}",
            "-c",
            "password_encryption=scram-sha-256",
            "-c",
            "ssl=on",
            "-c",
            f"ssl_cert_file={cert}",
            "-c",
            f"ssl_key_file={key}",
            "-c",
            "ssl_min_protocol_version=TLSv1.2",
        ]
        return process.spawn(self.name, argv, state=self.paths.state, log=self.log, cwd=self.dir)

    def probe(self) -> bool:
        """A real login as the superuser, running ``SELECT 1``."""
        with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
            row = conn.execute("SELECT 1").fetchone()
        return row == (1,)

    def dsn(self, database: str = "postgres") -> str:
        """Connection URI for the superuser, verifying the server against the stack CA."""
        secret = quote(self.password, safe="")
        tls = f"sslmode=verify-full&sslrootcert={quote(str(self.ca.cert_path))}"
        return f"postgresql://{SUPERUSER}:{secret}@127.0.0.1:{self.port}/{database}?{tls}"

    def info(self) -> dict[str, Any]:
        """Host, port, superuser credentials, a connection URI, and the TLS settings every
        client passes (``tls``: libpq's sslmode and sslrootcert)."""
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": SUPERUSER,
            "password": self.password,
            "dsn": self.dsn(),
            "ca": str(self.ca.cert_path),
            "tls": {"sslmode": "verify-full", "sslrootcert": str(self.ca.cert_path)},
        }
