"""MinIO's admin API with its request payloads sealed by PBKDF2 instead of Argon2id.

The admin API encrypts the bodies that carry secrets (a new user's secret key, a policy
attachment) with the admin's secret key, in sio's stream format: a header of 32 bytes of
salt, one byte naming the algorithm and 8 bytes of nonce, then AES-256-GCM chunks of 16 KiB.
The MinIO client library derives the key with Argon2id (64 MiB of memory, 4 lanes): a
profile of the operator provisioning workspaces put 7.8 % of its time in that one function,
and MinIO decrypts it again behind a process-wide lock. MinIO also accepts the algorithm it
uses in FIPS mode, PBKDF2-HMAC-SHA256 with 8,192 iterations (id 2, ``madmin.DecryptData``):
a few milliseconds and no memory. The payload still travels inside verified TLS.

The answer to an attachment is encrypted by the server with Argon2id; nothing in it is
needed (the status says whether it was applied), so it is not decrypted.
"""

from __future__ import annotations

import hashlib
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from minio.minioadmin import _COMMAND, MinioAdmin

PBKDF2_AES_GCM = 0x02
ITERATIONS = 8192
CHUNK = 16 * 1024
_FINAL = 0x80


def _nonce(prefix: bytes, sequence: int) -> bytes:
    return prefix + sequence.to_bytes(4, "little")


def seal(payload: bytes, password: str) -> bytes:
    """``payload`` encrypted as ``madmin.EncryptData`` would in FIPS mode."""
    salt, prefix = os.urandom(32), os.urandom(8)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS, 32)
    aead = AESGCM(key)
    # Every chunk authenticates a flag byte (set on the last chunk) and the tag of an empty
    # message sealed under sequence number 0: a stream cannot be truncated or reordered.
    tag = aead.encrypt(_nonce(prefix, 0), b"", None)
    chunks = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [b""]
    sealed = [salt, bytes([PBKDF2_AES_GCM]), prefix]
    for number, chunk in enumerate(chunks, start=1):
        flag = _FINAL if number == len(chunks) else 0x00
        sealed.append(aead.encrypt(_nonce(prefix, number), chunk, bytes([flag]) + tag))
    return b"".join(sealed)


def open_sealed(sealed: bytes, password: str) -> bytes:
    """The inverse of ``seal`` (for tests: MinIO is what opens them)."""
    salt, algorithm, prefix, body = sealed[:32], sealed[32], sealed[33:41], sealed[41:]
    if algorithm != PBKDF2_AES_GCM:
        raise ValueError(f"not sealed with PBKDF2 and AES-GCM: algorithm {algorithm}")
    aead = AESGCM(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS, 32))
    tag = aead.encrypt(_nonce(prefix, 0), b"", None)
    size = CHUNK + 16
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(
        aead.decrypt(_nonce(prefix, n), c, bytes([_FINAL if n == len(chunks) else 0x00]) + tag)
        for n, c in enumerate(chunks, start=1)
    )


class SealedAdmin(MinioAdmin):
    """``MinioAdmin`` whose calls carrying a secret seal it with ``seal``."""

    def _password(self) -> str:
        return str(self._provider.retrieve().secret_key)

    def user_add(self, access_key: str, secret_key: str) -> str:
        body = json.dumps({"status": "enabled", "secretKey": secret_key}).encode()
        self._url_open(
            method="PUT",
            command=_COMMAND.ADD_USER,
            query_params={"accessKey": access_key},
            body=seal(body, self._password()),
        )
        return ""

    def _policy_change(self, command: _COMMAND, policies: list[str], key: str, name: str) -> str:
        body = json.dumps({"policies": policies, key: name}).encode()
        # An error status raises; a success's (encrypted) answer is not needed.
        self._url_open(method="POST", command=command, body=seal(body, self._password()))
        return ""

    def attach_policy(
        self, policies: list[str], user: str | None = None, group: str | None = None
    ) -> str:
        key, name = _entity(user, group)
        return self._policy_change(_COMMAND.IDP_BUILTIN_POLICY_ATTACH, policies, key, name)

    def detach_policy(
        self, policies: list[str], user: str | None = None, group: str | None = None
    ) -> str:
        key, name = _entity(user, group)
        return self._policy_change(_COMMAND.IDP_BUILTIN_POLICY_DETACH, policies, key, name)


def _entity(user: str | None, group: str | None) -> tuple[str, str]:
    if (user is None) == (group is None):
        raise ValueError("exactly one of user or group must be set")
    return ("user", user) if user is not None else ("group", str(group))
