"""A worker's graceful shutdown is an internal request of Trino, never a forged user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from havre.pipeline.render.trino_access import render_worker_access_rules
from havre.pipeline.render.trino_internal import internal_bearer_header, internal_bearer_token
from havre.pipeline.render.trino_workloads import render_internal_secret, render_trino
from havre.pipeline.validate import ValidWorkspace
from tests.unit.trino_fixtures import PLATFORM


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_bearer_is_signed_as_trino_derives_its_key_from_the_shared_secret() -> None:
    token = internal_bearer_token("s3cret-shared", "havre-shutdown")
    header, claims, signature = token.split(".")
    assert json.loads(_decode(header)) == {"alg": "HS256"}
    assert json.loads(_decode(claims)) == {"sub": "havre-shutdown"}
    # Trino: Keys.hmacShaKeyFor(sha256(sharedSecret)), HMAC-SHA256 over header.claims.
    key = hashlib.sha256(b"s3cret-shared").digest()
    expected = hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert _decode(signature) == expected
    assert internal_bearer_token("another", "havre-shutdown") != token


def test_no_user_may_change_a_workers_state() -> None:
    assert render_worker_access_rules() == {"system_information": [{"user": ".*", "allow": []}]}


def test_worker_prestop_sends_the_bearer_from_the_internal_secret(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [], PLATFORM)
    (worker,) = [o for o in objects if o["metadata"]["name"] == "trino-worker"]
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert "-H" in command and "@/etc/trino-internal/shutdown-header" in command
    assert not [arg for arg in command if "X-Trino-User" in arg]
    secret = render_internal_secret("cardio", "s3cret-shared")
    header = base64.b64decode(secret["data"]["shutdown-header"]).decode()
    assert header == internal_bearer_header("s3cret-shared", "havre-shutdown")
    assert header.startswith("X-Trino-Internal-Bearer: ")
