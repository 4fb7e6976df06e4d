"""A server on loopback that presents a certificate from another CA, for the right names
(localhost, 127.0.0.1): a client that accepts it would send it credentials. It speaks just
enough of each protocol to reach the TLS handshake, and records anything sent after it."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from pathlib import Path
from types import TracebackType

from devstack.tls import StackCA

# PostgreSQL's SSLRequest: length 8, then the code 1234.5679.
_SSL_REQUEST = struct.pack("!II", 8, 80877103)


class Impostor:
    """A TLS server with a certificate that does not chain to the platform CA.

    ``postgres=True`` first answers PostgreSQL's SSLRequest with ``S`` (as a real server
    does), else TLS starts at once (HTTPS, as MinIO serves). ``received`` holds whatever a
    client sent after a completed handshake: a client that verifies sends nothing.
    """

    def __init__(self, folder: Path, *, postgres: bool, ca_name: str = "havre-devstack-ca") -> None:
        # By default the other CA even bears the platform CA's name: only its key differs.
        ca = StackCA(folder, ca_name)
        cert, key = ca.issue("impostor")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.postgres = postgres
        self.received = b""
        self.handshakes = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Impostor:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                self._one(conn)

    def _one(self, conn: socket.socket) -> None:
        try:
            if self.postgres:
                if conn.recv(8) != _SSL_REQUEST:
                    return
                conn.sendall(b"S")
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self.handshakes += 1
                while chunk := tls.recv(4096):
                    self.received += chunk
        except (OSError, ssl.SSLError):
            return  # the client gave up during the handshake: what a verifying client does
