"""The members' own object-store policies (``render/member_storage.py``) on the store.

Needs a client (the ``ObjectStore``). Called from the object store's first phase
(``apply_objectstore.revoke_objectstore``): the policies of roles that hold nobody are
deleted before anything is read or claimed — they only ever grant access, and their names
belong to the one live Workspace of that name — then, once the workspace's resources are
claimed as its own, the others are written whole (removals and additions at once).
"""

from __future__ import annotations

from collections.abc import Iterable

from havre.api import names
from havre.api.model import Role
from havre.external.objectstore import ObjectStore
from havre.pipeline.render.member_storage import MemberPolicy


def delete_unheld_policies(
    store: ObjectStore, policies: Iterable[MemberPolicy], changes: list[str]
) -> None:
    """Delete the policy of every role without members."""
    for policy in policies:
        if policy.document is None and store.delete_policy(policy.name):
            changes.append(f"-policy/{policy.name}")


def write_held_policies(
    store: ObjectStore, policies: Iterable[MemberPolicy], changes: list[str]
) -> None:
    """Write the policy of every role with members (only where it differs)."""
    for policy in policies:
        if policy.document is not None and store.ensure_policy(policy.name, policy.document):
            changes.append(f"policy/{policy.name}")


def delete_member_policies(store: ObjectStore, workspace: str) -> list[str]:
    """Remove every member policy of ``workspace`` (they grant access only; no data)."""
    return [
        f"deleted policy/{name}"
        for name in (names.member_storage_policy(workspace, role.value) for role in Role)
        if store.delete_policy(name)
    ]
