"""Credentials of the audit receiver's clients, derived from one receiver key.

A workspace's credential is ``ws.<uid>.<mac>`` where ``mac`` is the HMAC-SHA256 of the
workspace's UID under the key: the receiver checks it without any registry and takes the
workspace from the UID it carries, never from what a client sends. A deleted workspace's
credential names a UID no Workspace has any more, so it writes nothing. The operator's
credential is the HMAC of a fixed label. Rotating the key re-issues every credential.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

_WORKSPACE = "ws"
_OPERATOR = "operator"
_UID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TOKEN = re.compile(rf"^(?:ws\.(?P<uid>{_UID})|operator)\.(?P<mac>[0-9a-f]{{64}})$")


@dataclass(frozen=True)
class Caller:
    """Who a valid credential belongs to: the operator, or the workspace of ``uid``."""

    kind: str  # "workspace" or "operator"
    uid: str = ""


def _mac(key: str, label: str) -> str:
    return hmac.new(key.encode(), f"havre-audit:v1:{label}".encode(), hashlib.sha256).hexdigest()


def workspace_credential(key: str, uid: str) -> str:
    """The credential of the workspace whose ``metadata.uid`` is ``uid``."""
    if not re.fullmatch(_UID, uid):
        raise ValueError("not a Kubernetes UID")
    return f"{_WORKSPACE}.{uid}.{_mac(key, f'{_WORKSPACE}:{uid}')}"


def operator_credential(key: str) -> str:
    """The operator's credential (it sends decision records)."""
    return f"{_OPERATOR}.{_mac(key, _OPERATOR)}"


def verify_credential(key: str, token: str) -> Caller | None:
    """Who ``token`` belongs to, or None when it is malformed or its MAC is wrong."""
    found = _TOKEN.fullmatch(token)
    if found is None:
        return None
    uid = found.group("uid")
    label = f"{_WORKSPACE}:{uid}" if uid else _OPERATOR
    if not hmac.compare_digest(found.group("mac"), _mac(key, label)):
        return None
    return Caller("workspace", uid) if uid else Caller("operator")
