"""Apply a workspace's storage plan to the object store, and take it down on deletion.

Needs a client (the ``ObjectStore``). Each call is idempotent by stable names, so a
reconcile interrupted anywhere converges when it runs again.
"""

from __future__ import annotations

from havre.api import names
from havre.api.model import DeletionPolicy
from havre.external.objectstore import ObjectStore
from havre.pipeline.member_storage import apply_member_policies, delete_member_policies
from havre.pipeline.render.storage import StoragePlan


def apply_storage(store: ObjectStore, plan: StoragePlan) -> list[str]:
    """Members' policies (removals first), bucket (versioned, hard quota), policy, user,
    attachment; returns what changed."""
    changed = apply_member_policies(store, plan.member_policies)
    if store.ensure_bucket(plan.bucket, plan.quota_bytes):
        changed.append(f"bucket/{plan.bucket}")
    if store.ensure_policy(plan.policy_name, plan.policy):
        changed.append(f"policy/{plan.policy_name}")
    if store.ensure_user(plan.access_key, plan.secret_key, enabled=plan.enabled):
        changed.append(f"user/{plan.access_key}")
    if store.attach_policy(plan.policy_name, plan.access_key):
        changed.append(f"attachment/{plan.policy_name}")
    return changed


def teardown_storage(store: ObjectStore, workspace: str, policy: DeletionPolicy) -> list[str]:
    """Retain: disable the user and detach its policy, keep the bucket and every version.
    Delete: empty the bucket of all versions and remove it, then the user and the policy."""
    access_key = names.storage_access_key(workspace)
    policy_name = names.storage_principal(workspace)
    # Members' own credentials lose the workspace first, whatever the deletion policy.
    done = delete_member_policies(store, workspace)
    if policy is DeletionPolicy.RETAIN:
        if store.user_status(access_key) is not None:
            if store.set_user_enabled(access_key, False):
                done.append(f"disabled user/{access_key}")
            if store.detach_policy(policy_name, access_key):
                done.append(f"detached policy/{policy_name}")
        return done
    if store.delete_bucket(names.bucket(workspace)):
        done.append(f"deleted bucket/{names.bucket(workspace)}")
    if store.delete_user(access_key):
        done.append(f"deleted user/{access_key}")
    if store.delete_policy(policy_name):
        done.append(f"deleted policy/{policy_name}")
    return done
