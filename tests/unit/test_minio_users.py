"""New MinIO users are added one at a time: each ``user_add`` derives a key with Argon2id
(64 MiB while it runs), so concurrent provisioning must not multiply the operator's memory."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from minio.error import MinioAdminException

from havre.external.minio import MinioStore


class _Admin:
    """Records how many ``user_add`` calls overlap; every user is new."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.added: list[str] = []
        self._lock = threading.Lock()

    def user_info(self, access_key: str) -> str:
        raise MinioAdminException("404", '{"Code":"XMinioAdminNoSuchUser"}')

    def user_add(self, access_key: str, secret_key: str) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
            self.added.append(access_key)
        return ""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected admin call {name}")


def test_concurrent_new_users_are_added_one_at_a_time() -> None:
    store = MinioStore("127.0.0.1:9", "admin", "secret", secure=False)
    admin = _Admin()
    store._admin = admin  # type: ignore[assignment]
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda i: store.ensure_user(f"ws-{i}", "k" * 20), range(8)))
    assert done == [True] * 8
    assert sorted(admin.added) == sorted(f"ws-{i}" for i in range(8))
    assert admin.most == 1
