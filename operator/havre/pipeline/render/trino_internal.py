"""Trino's internal authentication, for the one internal call Havre makes itself.

A worker's graceful shutdown (``PUT /v1/info/state``) is a management write. Trino 476
accepts it from a request carrying ``X-Trino-Internal-Bearer``: a JWT signed with HMAC-SHA256
under the SHA-256 of ``internal-communication.shared-secret`` (``InternalAuthenticationManager``
checks the signature, and an expiry when the token has one), and then skips access control.
A request without it falls back to the worker's insecure authenticator — the user named by
an ``X-Trino-User`` header, which anyone reaching the port could forge — so the workers'
access rules refuse system information writes to every user (``trino_access``) and the only
way to stop a worker's work is this token, computed here from the workspace's shared secret.
It is kept in the workspace's internal Secret beside that secret, and is no more powerful.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

HEADER = "X-Trino-Internal-Bearer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def internal_bearer_token(shared_secret: str, subject: str) -> str:
    """A JWT Trino's nodes accept as internal, with no expiry (it lives as long as the
    shared secret it is derived from)."""
    key = hashlib.sha256(shared_secret.encode()).digest()
    header = _b64(json.dumps({"alg": "HS256"}, separators=(",", ":")).encode())
    claims = _b64(json.dumps({"sub": subject}, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(signature)}"


def internal_bearer_header(shared_secret: str, subject: str) -> str:
    """The header line, as ``curl -H @file`` reads it from a file."""
    return f"{HEADER}: {internal_bearer_token(shared_secret, subject)}\n"
