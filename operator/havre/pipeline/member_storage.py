"""Apply the members' own object-store policies (``render/member_storage.py``), and remove
them when the workspace goes.

Needs a client (the ``ObjectStore``). Policies that must no longer exist are deleted before
any is written, so a removal never waits on a write that fails.
"""

from __future__ import annotations

from collections.abc import Iterable

from havre.api import names
from havre.api.model import Role
from havre.external.objectstore import ObjectStore
from havre.pipeline.render.member_storage import MemberPolicy


def apply_member_policies(store: ObjectStore, policies: Iterable[MemberPolicy]) -> list[str]:
    """Delete the policies of roles without members, then write the others; return changes."""
    policies = tuple(policies)
    changed = []
    for policy in policies:
        if policy.document is None and store.delete_policy(policy.name):
            changed.append(f"-policy/{policy.name}")
    for policy in policies:
        if policy.document is not None and store.ensure_policy(policy.name, policy.document):
            changed.append(f"policy/{policy.name}")
    return changed


def delete_member_policies(store: ObjectStore, workspace: str) -> list[str]:
    """Remove every member policy of ``workspace`` (they grant access only; no data)."""
    return [
        f"deleted policy/{name}"
        for name in (names.member_storage_policy(workspace, role.value) for role in Role)
        if store.delete_policy(name)
    ]
