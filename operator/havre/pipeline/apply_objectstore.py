"""The workspace on the object store: removals first, then what is granted; and teardown.

Needs a client (the ``ObjectStore``). Each call is idempotent by stable names, so a
reconcile interrupted anywhere converges when it runs again. Nothing is touched before the
store's own records say the bucket and the policy are this Workspace's (``claim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.model import DeletionPolicy
from havre.external.objectstore import ObjectStore, same_policy
from havre.external.ownership import NameRetained, Recorded, claim, recorded_uid
from havre.pipeline.apply_member_storage import (
    delete_member_policies,
    delete_unheld_policies,
    write_held_policies,
)
from havre.pipeline.render.objectstore import ObjectStorePlan


@dataclass(frozen=True)
class ObjectStoreClaim:
    """What the first phase learnt: the workspace's resources are its own."""

    #: True when every record already names the workspace (nothing to record).
    recorded: bool


def objectstore_records(
    store: ObjectStore, bucket: str, policy: str
) -> tuple[list[Recorded], dict[str, Any] | None]:
    """What the bucket and the policy record of their owner, and the policy as stored."""
    document = store.policy_document(policy)
    policy_record = Recorded(
        f"policy {policy}",
        document is not None,
        recorded_uid(str((document or {}).get("ID", ""))),
    )
    return [store.bucket_owner(bucket), policy_record], document


def revoke_objectstore(
    store: ObjectStore, plan: ObjectStorePlan, changes: list[str]
) -> ObjectStoreClaim:
    """Phase one: delete the members' policies of roles without members, claim, disable the
    user when access must end, narrow the policy to the grants in force (the policy is
    written whole: removals and additions at once), and write the members' policies."""
    delete_unheld_policies(store, plan.member_policies, changes)
    records, document = objectstore_records(store, plan.bucket, plan.policy_name)
    claim(records, plan.owner, plan.workspace)
    if not plan.enabled and store.set_user_enabled(plan.access_key, False):
        changes.append(f"disabled user/{plan.access_key}")
    # Written only when it differs (the store is not asked twice when nothing changed).
    stale = document is None or not same_policy(document, plan.policy)
    wanted = plan.provision or document is not None
    if stale and wanted and store.ensure_policy(plan.policy_name, plan.policy):
        changes.append(f"policy/{plan.policy_name}")
    write_held_policies(store, plan.member_policies, changes)
    return ObjectStoreClaim(recorded=all(r.uid == plan.owner for r in records))


def provision_objectstore(
    store: ObjectStore, plan: ObjectStorePlan, claimed: ObjectStoreClaim, changes: list[str]
) -> None:
    """Phase two: bucket (versioned, hard quota, owner tag), user, attachment. A disabled
    user holds no new attachment (the store refuses one); it gets it when enabled."""
    if not plan.provision:
        return
    owner = "" if claimed.recorded else plan.owner  # tag only what does not record it yet
    if store.ensure_bucket(plan.bucket, plan.quota_bytes, owner=owner):
        changes.append(f"bucket/{plan.bucket}")
    if store.ensure_user(plan.access_key, plan.secret_key, enabled=plan.enabled):
        changes.append(f"user/{plan.access_key}")
    if plan.enabled and store.attach_policy(plan.policy_name, plan.access_key):
        changes.append(f"attachment/{plan.policy_name}")


def teardown_objectstore(
    store: ObjectStore,
    workspace: str,
    uid: str,
    policy: DeletionPolicy,
    member_policies: bool = False,
) -> list[str]:
    """Retain: disable the user and detach its policy, keep the bucket and every version.
    Delete: empty the bucket of all versions and remove it, then the user and the policy.
    Only this workspace's own resources: another UID's retained data is never touched.
    ``member_policies``: the members' own policies go first, whatever the deletion policy."""
    access_key = names.storage_access_key(workspace)
    policy_name = names.storage_principal(workspace)
    done = delete_member_policies(store, workspace) if member_policies else []
    try:
        claim(objectstore_records(store, names.bucket(workspace), policy_name)[0], uid, workspace)
    except NameRetained:
        return done  # another workspace's retained data: not this one's to tear down
    if policy is DeletionPolicy.RETAIN:
        if store.user_status(access_key) is not None:
            if store.set_user_enabled(access_key, False):
                done.append(f"disabled user/{access_key}")
            if store.detach_policy(policy_name, access_key):
                done.append(f"detached policy/{policy_name}")
        return done
    return done + purge_objectstore(store, workspace)


def purge_objectstore(store: ObjectStore, workspace: str) -> list[str]:
    """Remove the bucket with every version, the user and the policy of ``workspace``."""
    access_key = names.storage_access_key(workspace)
    policy_name = names.storage_principal(workspace)
    done = []
    if store.delete_bucket(names.bucket(workspace)):
        done.append(f"deleted bucket/{names.bucket(workspace)}")
    if store.delete_user(access_key):
        done.append(f"deleted user/{access_key}")
    if store.delete_policy(policy_name):
        done.append(f"deleted policy/{policy_name}")
    return done
