"""Renderers turn a validated workspace into exactly the manifests in the golden files."""

from __future__ import annotations

import dataclasses

from havre.pipeline.render.namespace import render_namespace
from havre.pipeline.render.network import render_network_policies
from havre.pipeline.render.quota import render_limit_range, render_quota
from havre.pipeline.render.rbac import (
    render_operator_access,
    render_owner_access,
    render_role_bindings,
    render_service_accounts,
)
from havre.pipeline.render.workspace import render_workspace
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings
from tests.unit.conftest import assert_golden


def test_namespace_enforces_restricted_pod_security(cardio: ValidWorkspace) -> None:
    ns = render_namespace(cardio)
    assert ns["metadata"]["name"] == "ws-cardio"
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert_golden("namespace", ns)


def test_quota_fits_coordinator_and_workers_plus_headroom(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    hard = render_quota(cardio, settings)["spec"]["hard"]
    # 2 workers + 1 coordinator, 2 CPU and 4Gi each, plus 1 CPU and 2Gi of headroom
    assert hard["requests.cpu"] == "7"
    assert hard["limits.memory"] == "14Gi"
    assert hard["persistentvolumeclaims"] == "0"
    assert_golden("quota", render_quota(cardio, settings))
    assert_golden("limitrange", render_limit_range(cardio))


def test_network_policies_deny_by_default_and_allow_only_platform_and_gateway(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    policies = render_network_policies(cardio, settings)
    by_name = {p["metadata"]["name"]: p["spec"] for p in policies}
    assert by_name["havre-default-deny"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    egress_ports = {e["ports"][0]["port"] for e in by_name["havre-allow-platform"]["egress"]}
    assert egress_ports == {9000, 5432, 8443}
    gateway = by_name["havre-allow-gateway-to-trino"]["ingress"][0]
    assert gateway["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "havre-gateway"
    }
    assert_golden("networkpolicies", policies)


def test_without_platform_endpoints_no_egress_beyond_namespace_and_dns(
    cardio: ValidWorkspace,
) -> None:
    names = [p["metadata"]["name"] for p in render_network_policies(cardio, Settings())]
    assert "havre-allow-platform" not in names


def test_each_member_gets_one_binding_to_the_static_cluster_role_of_their_role(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    bindings = render_role_bindings(cardio, settings)
    pairs = {(b["subjects"][0]["name"], b["roleRef"]["name"]) for b in bindings}
    assert pairs == {
        ("oidc:alice", "havre-ws-owner"),
        ("oidc:bob", "havre-ws-analyst"),
        ("oidc:carol", "havre-ws-viewer"),
    }
    assert {b["roleRef"]["kind"] for b in bindings} == {"ClusterRole"}
    assert_golden("rolebindings", bindings)


def test_operator_binds_itself_in_the_workspace_namespace_only(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    binding = render_operator_access(cardio, settings)
    assert binding["kind"] == "RoleBinding"
    assert binding["metadata"] == {"name": "havre-operator", "namespace": "ws-cardio"}
    assert binding["roleRef"]["name"] == "havre-operator-workspace"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "havre-operator", "namespace": "havre-system"}
    ]


def test_expired_workspace_has_no_member_bindings(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    expired = dataclasses.replace(cardio, expired=True)
    assert render_role_bindings(expired, settings) == []


def test_only_owners_may_edit_their_workspace_object(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    cluster_role, binding = render_owner_access(cardio, settings)
    assert cluster_role["rules"][0]["resourceNames"] == ["cardio"]
    assert [s["name"] for s in binding["subjects"]] == ["oidc:alice"]
    assert_golden("owner-access", [cluster_role, binding])


def test_trino_service_account_mounts_no_api_token(cardio: ValidWorkspace) -> None:
    (sa,) = render_service_accounts(cardio)
    assert sa["automountServiceAccountToken"] is False


def test_workspace_renders_namespace_then_the_operators_binding_first(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    manifests = render_workspace(cardio, settings)
    assert manifests[0]["kind"] == "Namespace"
    assert manifests[1] == render_operator_access(cardio, settings)
    assert "Role" not in {m["kind"] for m in manifests}
    assert all(m["metadata"].get("namespace") in (None, "ws-cardio") for m in manifests)


def test_owners_lose_their_workspace_binding_at_expiry(
    cardio: ValidWorkspace, settings: Settings
) -> None:
    expired = dataclasses.replace(cardio, expired=True)
    kinds = [m["kind"] for m in render_owner_access(expired, settings)]
    assert kinds == ["ClusterRole"]
    assert render_role_bindings(expired, settings) == []
