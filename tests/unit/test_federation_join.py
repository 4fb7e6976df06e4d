"""The hub's account on a member: what the join grants it, and the one admission exception
it has, name the same account."""

from __future__ import annotations

from devstack.federation_join import MEMBER_NAMESPACE, SERVICE_ACCOUNT, Member, member_access
from devstack.paths import REPO_ROOT

ACCOUNT = f"system:serviceaccount:{MEMBER_NAMESPACE}:{SERVICE_ACCOUNT}"
MEMBER = Member("m", "p", "r", ("hds",), "/dev/null", "https://127.0.0.1:1", "/dev/null")


def test_approval_policy_relays_only_the_hubs_account() -> None:
    policy = (REPO_ROOT / "crds" / "admission-approval.yaml").read_text()
    assert f"variables.user == '{ACCOUNT}'" in policy
    assert policy.count("variables.relayedByHub") == 1  # only the approval.by check


def test_hub_account_may_relay_approvals_and_grants_but_is_not_cluster_admin() -> None:
    role = next(o for o in member_access(MEMBER) if o["kind"] == "ClusterRole")
    verbs = {(r["resources"][0], v) for r in role["rules"] for v in r["verbs"]}
    assert ("workspaces", "approve") in verbs and ("datasets", "grant") in verbs
    assert all(g == "havre.io" for r in role["rules"] for g in r["apiGroups"])
    assert not any("*" in r["verbs"] or "*" in r["resources"] for r in role["rules"])
