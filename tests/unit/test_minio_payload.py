"""The admin API's secret-carrying payloads are sealed with PBKDF2 and AES-GCM in sio's
stream format (MinIO's algorithm id 2), not with Argon2id's 64 MiB key derivation."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException

from havre.external.minio import MinioStore
from havre.external.minio_payload import CHUNK, PBKDF2_AES_GCM, SealedAdmin, open_sealed, seal


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_sealed_payload_opens_with_the_same_password(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    sealed = seal(payload, "admin-secret")
    assert sealed[32] == PBKDF2_AES_GCM
    chunks = max(1, -(-size // CHUNK))
    assert len(sealed) == 41 + size + 16 * chunks
    assert open_sealed(sealed, "admin-secret") == payload


def test_a_sealed_payload_refuses_another_password_and_a_truncation() -> None:
    sealed = seal(b"x" * (CHUNK + 10), "admin-secret")
    with pytest.raises(InvalidTag):
        open_sealed(sealed, "other")
    # Dropping the last chunk leaves a first chunk not marked final: refused.
    with pytest.raises(InvalidTag):
        open_sealed(sealed[: 41 + CHUNK + 16], "admin-secret")


def test_two_seals_of_the_same_payload_differ() -> None:
    assert seal(b"same", "k") != seal(b"same", "k")


class _Recording(SealedAdmin):
    """Sends nothing: records what would be sent."""

    def __init__(self) -> None:
        super().__init__(
            endpoint="127.0.0.1:9",
            credentials=StaticProvider("admin", "admin-secret"),
            secure=False,
        )
        self.sent: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _url_open(self, **request: Any) -> Any:
        with self._lock:
            self.sent.append(request)
        return None

    def user_info(self, access_key: str) -> str:
        raise MinioAdminException("404", '{"Code":"XMinioAdminNoSuchUser"}')


def test_new_users_are_added_at_once_with_their_secret_sealed() -> None:
    store = MinioStore("127.0.0.1:9", "admin", "admin-secret", secure=False)
    admin = _Recording()
    store._admin = admin
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda i: store.ensure_user(f"ws-{i}", "k" * 20), range(8)))
    assert done == [True] * 8
    assert sorted(r["query_params"]["accessKey"] for r in admin.sent) == sorted(
        f"ws-{i}" for i in range(8)
    )
    for request in admin.sent:
        assert b"k" * 20 not in request["body"]
        sent = json.loads(open_sealed(request["body"], "admin-secret"))
        assert sent == {"status": "enabled", "secretKey": "k" * 20}


def test_attachments_are_sealed_and_name_one_entity() -> None:
    admin = _Recording()
    admin.attach_policy(["ws-a"], user="ws-a")
    admin.detach_policy(["ws-a-readers"], group="readers")
    bodies = [json.loads(open_sealed(r["body"], "admin-secret")) for r in admin.sent]
    assert bodies == [
        {"policies": ["ws-a"], "user": "ws-a"},
        {"policies": ["ws-a-readers"], "group": "readers"},
    ]
    with pytest.raises(ValueError, match="exactly one"):
        admin.attach_policy(["p"], user="u", group="g")
