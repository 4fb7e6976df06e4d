"""MinIO failures become Havre errors that name the endpoint and never the secret key.

The store talks to real sockets on 127.0.0.1: a closed port, a server that never answers,
and a small HTTP server answering like a struggling or refusing MinIO.
"""

from __future__ import annotations

import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from havre.errors import DependencyUnavailable, HavreError
from havre.external.minio import MinioStore
from havre.external.objectstore import UNAVAILABLE, ObjectStore, ObjectStoreRejected

SECRET = "s3cr3t-must-never-appear-0123456789"


class _Answer(BaseHTTPRequestHandler):
    """Answers every request with the class's status and body."""

    status = 503
    body = b""
    content_type = "application/xml"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    # http.server dispatches to do_<METHOD>; the names are its, not ours.
    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def _serve(status: int, body: bytes, content_type: str) -> Iterator[str]:
    handler = type(
        "Handler", (_Answer,), {"status": status, "body": body, "content_type": content_type}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def overloaded() -> Iterator[str]:
    yield from _serve(503, b"", "text/plain")


@pytest.fixture
def refusing() -> Iterator[str]:
    body = (
        b'{"Code":"InvalidAccessKeyId","Message":"The Access Key Id you provided does not exist"}'
    )
    yield from _serve(403, body, "application/json")


def _store(endpoint: str) -> ObjectStore:
    # Typed as the Protocol so that mypy checks MinioStore implements all of it.
    return MinioStore(endpoint, "havre-operator", SECRET, secure=False, timeout=1.0, retries=0)


def _assert_no_secret(exc: BaseException, store: ObjectStore) -> None:
    assert SECRET not in "".join(traceback.format_exception(exc))
    assert SECRET not in repr(store)


def test_closed_port_is_reported_unavailable_naming_the_endpoint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"127.0.0.1:{probe.getsockname()[1]}"
    store = _store(endpoint)
    with pytest.raises(DependencyUnavailable) as raised:
        store.ensure_bucket("ws-cardio", 1 << 30)
    assert raised.value.reason == UNAVAILABLE
    assert not raised.value.permanent
    assert endpoint in raised.value.message
    _assert_no_secret(raised.value, store)


def test_server_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections queue up; nothing ever reads or answers them
        store = _store(f"127.0.0.1:{silent.getsockname()[1]}")
        with pytest.raises(DependencyUnavailable) as raised:
            store.user_status("hvcardio")
    assert raised.value.reason == UNAVAILABLE
    _assert_no_secret(raised.value, store)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.bucket_exists("ws-cardio"),
        lambda s: s.ensure_user("hvcardio", SECRET),
        lambda s: s.ensure_policy("havre-ws-cardio", {"Version": "2012-10-17", "Statement": []}),
        lambda s: s.delete_bucket("ws-cardio"),
    ],
    ids=["bucket", "user", "policy", "delete"],
)
def test_server_errors_are_reported_unavailable(
    overloaded: str, call: Callable[[ObjectStore], object]
) -> None:
    store = _store(overloaded)
    with pytest.raises(DependencyUnavailable) as raised:
        call(store)
    assert raised.value.reason == UNAVAILABLE
    assert overloaded in raised.value.message
    _assert_no_secret(raised.value, store)


def test_refused_credentials_are_rejected_with_the_server_code(refusing: str) -> None:
    store = _store(refusing)
    with pytest.raises(ObjectStoreRejected) as raised:
        store.user_status("hvcardio")
    assert raised.value.code == "InvalidAccessKeyId"
    assert raised.value.status == 403
    assert isinstance(raised.value, HavreError)
    _assert_no_secret(raised.value, store)
