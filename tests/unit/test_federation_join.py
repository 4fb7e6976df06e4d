"""The hub's account on a member: what the join grants it, and the one admission exception
it has, name the same account."""

from __future__ import annotations

from devstack.federation_join import (
    GRANTS_NAMESPACE,
    MEMBER_NAMESPACE,
    SERVICE_ACCOUNT,
    Member,
    member_access,
)
from devstack.paths import REPO_ROOT
from havre.federation.remote_grant import SECRET_NAMESPACE

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


def test_operator_and_hub_share_only_the_grants_namespace_never_the_hubs_token() -> None:
    objects = member_access(MEMBER)
    roles = {
        o["metadata"]["name"]: o
        for o in objects
        if o["kind"] == "Role" and o["metadata"]["namespace"] == GRANTS_NAMESPACE
    }
    assert GRANTS_NAMESPACE == SECRET_NAMESPACE != MEMBER_NAMESPACE
    assert roles["havre-operator-federation"]["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create", "patch", "delete"]}
    ]
    assert {"list", "create", "delete"} <= set(roles["havre-federation-hub"]["rules"][0]["verbs"])
    operator_bindings = [
        o
        for o in objects
        if o["kind"] in ("RoleBinding", "ClusterRoleBinding")
        and {"kind": "ServiceAccount", "name": "havre-operator", "namespace": "havre-system"}
        in o["subjects"]
    ]
    assert [b["metadata"].get("namespace") for b in operator_bindings] == [GRANTS_NAMESPACE]
