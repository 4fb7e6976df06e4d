"""Workspace and operator credentials of the audit receiver."""

from __future__ import annotations

import uuid

from havre.audit.credentials import (
    Caller,
    operator_credential,
    verify_credential,
    workspace_credential,
)

KEY = "k" * 48


def test_a_workspace_credential_names_its_workspace_uid() -> None:
    uid = str(uuid.uuid4())
    assert verify_credential(KEY, workspace_credential(KEY, uid)) == Caller("workspace", uid)


def test_a_credential_with_another_uid_or_key_is_refused() -> None:
    uid, other = str(uuid.uuid4()), str(uuid.uuid4())
    token = workspace_credential(KEY, uid)
    assert verify_credential(KEY, token.replace(uid, other)) is None
    assert verify_credential("x" * 48, token) is None
    assert verify_credential(KEY, token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert verify_credential(KEY, "") is None


def test_the_operator_credential_is_not_a_workspace_one() -> None:
    assert verify_credential(KEY, operator_credential(KEY)) == Caller("operator")
