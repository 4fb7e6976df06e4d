"""The workspace's side of the audit trail (docs/audit.md), pure: the Secret holding the
credential its Trino's HTTP event listener sends to the receiver.

The credential is an HMAC of the workspace's UID under the receiver key, so it is derived,
never stored elsewhere, and a later workspace of the same name gets a different one. The
event listener's configuration itself is rendered with Trino's (``trino_config.py``).
"""

from __future__ import annotations

from typing import Any

from havre.audit.credentials import workspace_credential
from havre.pipeline.render.secrets import render_secret
from havre.pipeline.render.trino_workloads import AUDIT_SECRET, AUDIT_SECRET_KEY
from havre.pipeline.validate import ValidWorkspace


def render_audit_secret(ws: ValidWorkspace, key: str) -> dict[str, Any]:
    """Secret ``havre-audit`` (key ``token``) in the workspace's namespace, read by the
    coordinator's environment only."""
    token = workspace_credential(key, ws.uid)
    return render_secret(ws.name, AUDIT_SECRET, {AUDIT_SECRET_KEY: token})
