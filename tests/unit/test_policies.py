"""The hand-written RBAC and admission files in crds/ agree with the operator's settings and
with what docs/rbac.md promises (the real API server proves their effect: tests/integration)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from havre.api.model import Role
from havre.pipeline.render.rbac import OPERATOR_WORKSPACE_ROLE, member_cluster_role
from havre.settings import Settings, TrinoSettings

CRDS = Path(__file__).parents[2] / "crds"


def documents(filename: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((CRDS / filename).read_text()) if d]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for doc in documents(path.name):
            if doc["kind"] == kind:
                found[doc["metadata"]["name"]] = doc
    return found


def test_member_roles_grant_no_secret_exec_or_workload_change() -> None:
    roles = by_kind("ClusterRole")
    for role in Role:
        for rule in roles[member_cluster_role(role)]["rules"]:
            assert "secrets" not in rule["resources"]
            assert "pods/exec" not in rule["resources"]
            if rule["resources"] not in (["pods/portforward"], ["pods"]):
                assert set(rule["verbs"]) == {"get", "list", "watch"}


def test_member_roles_grow_viewer_to_analyst_to_owner() -> None:
    roles = by_kind("ClusterRole")

    def grants(role: Role) -> set[tuple[str, str, str]]:
        rules = roles[member_cluster_role(role)]["rules"]
        return {
            (g, r, v)
            for x in rules
            for g in x["apiGroups"]
            for r in x["resources"]
            for v in x["verbs"]
        }

    viewer, analyst, owner = grants(Role.VIEWER), grants(Role.ANALYST), grants(Role.OWNER)
    assert viewer < analyst < owner
    assert analyst - viewer == {("", "pods/portforward", "create")}
    assert owner - analyst == {("", "pods", "delete")}


def test_operator_holds_no_secret_and_no_wildcard_cluster_wide() -> None:
    operator = by_kind("ClusterRole")["havre-operator"]
    for rule in operator["rules"]:
        assert "secrets" not in rule["resources"]
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        assert "escalate" not in rule["verbs"]
        if "bind" in rule["verbs"]:
            assert rule["verbs"] == ["bind"]
            assert set(rule["resourceNames"]) == {
                *(member_cluster_role(r) for r in Role),
                OPERATOR_WORKSPACE_ROLE,
            }
    workspace = by_kind("ClusterRole")[OPERATOR_WORKSPACE_ROLE]
    assert any("secrets" in rule["resources"] for rule in workspace["rules"])


def test_platform_ca_is_the_only_secret_the_operator_reads_in_its_own_namespace() -> None:
    role = by_kind("Role")["havre-operator-platform-ca"]
    namespace, name = TrinoSettings.model_fields["tls_ca_secret"].default.split("/")
    assert role["metadata"]["namespace"] == namespace
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": [name]}
    ]


def test_every_policy_uses_the_operators_username_prefix_and_service_account() -> None:
    settings = Settings()
    policies = by_kind("ValidatingAdmissionPolicy")
    prefixes = {
        name: [
            v["expression"] for v in p["spec"].get("variables", []) if v["name"] == "usernamePrefix"
        ]
        for name, p in policies.items()
    }
    using = {name: found for name, found in prefixes.items() if found}
    assert set(using) == {
        "havre-workspace-approval",
        "havre-dataset-steward",
        "havre-grant-steward",
    }
    for found in using.values():
        assert found == [repr(settings.username_prefix)]
    namespace, account = settings.operator_service_account.split("/")
    condition = policies["havre-operator-scope"]["spec"]["matchConditions"][0]["expression"]
    assert f"'system:serviceaccount:{namespace}:{account}'" in condition
    text = "".join(
        (CRDS / f).read_text() for f in ("admission-approval.yaml", "admission-stewardship.yaml")
    )
    # The prefix appears nowhere else in an expression than in its variable.
    assert len(re.findall(re.escape(settings.username_prefix), text)) == len(using)


def test_every_policy_has_a_denying_binding() -> None:
    bindings = by_kind("ValidatingAdmissionPolicyBinding")
    for name in by_kind("ValidatingAdmissionPolicy"):
        assert bindings[name]["spec"]["policyName"] == name
        assert bindings[name]["spec"]["validationActions"] == ["Deny"]
