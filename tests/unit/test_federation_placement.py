"""Placement on the hub: requirements become one Karmada policy choosing exactly one member."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from havre.api.model import DatasetSpec, Placement, WorkspaceSpec
from havre.federation.placement import MemberCluster, member_from_cluster, requirements
from havre.federation.render.policy import render_placement_policy

ROOT = Path(__file__).parents[2]


def member(name: str, provider: str, region: str, *certs: str, ready: bool = True) -> MemberCluster:
    labels = {"havre.io/provider": provider, "havre.io/region": region}
    labels.update({f"havre.io/{c}": "true" for c in certs})
    return MemberCluster(name, labels, ready)


SNC = member("snc", "snc-host", "fr-idf", "secnumcloud")
HDS = member("hds", "hds-host", "fr-nord", "hds")


def test_certification_requirement_admits_only_certified_members() -> None:
    req = requirements(Placement.model_validate({"certifications": ["secnumcloud"]}))
    assert [m.name for m in (SNC, HDS) if req.allows(m)] == ["snc"]


def test_resident_dataset_pins_the_workspace_to_its_provider() -> None:
    req = requirements(Placement(), resident={"hds-host"})
    assert [m.name for m in (SNC, HDS) if req.allows(m)] == ["hds"]


def test_resident_provider_outside_allowed_providers_fits_nothing() -> None:
    req = requirements(Placement(providers=["snc-host"]), resident={"hds-host"})
    assert not any(req.allows(m) for m in (SNC, HDS))


def test_policy_before_placement_selects_by_labels_and_spreads_to_one_member() -> None:
    req = requirements(
        Placement.model_validate({"certifications": ["hds"], "regions": ["fr-nord"]})
    )
    policy = render_placement_policy("cardio", "uid-1", req, member=None)
    placement = policy["spec"]["placement"]
    assert placement["spreadConstraints"] == [
        {"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}
    ]
    assert placement["clusterAffinity"]["labelSelector"]["matchExpressions"] == [
        {"key": "havre.io/hds", "operator": "In", "values": ["true"]},
        {"key": "havre.io/region", "operator": "In", "values": ["fr-nord"]},
    ]
    assert policy["spec"]["resourceSelectors"] == [
        {"apiVersion": "havre.io/v1alpha1", "kind": "Workspace", "name": "cardio"}
    ]
    assert policy["metadata"]["ownerReferences"][0]["uid"] == "uid-1"


def test_policy_after_placement_names_only_the_chosen_member() -> None:
    req = requirements(Placement.model_validate({"certifications": ["hds"]}))
    policy = render_placement_policy("cardio", "uid-1", req, member="hds")
    assert policy["spec"]["placement"]["clusterAffinity"] == {"clusterNames": ["hds"]}


def test_contradicting_residencies_render_a_selector_no_member_matches() -> None:
    req = requirements(Placement(), resident={"a", "b"})
    expressions = render_placement_policy("w", "u", req, None)["spec"]["placement"][
        "clusterAffinity"
    ]["labelSelector"]["matchExpressions"]
    operators = {e["operator"] for e in expressions if e["key"] == "havre.io/provider"}
    assert operators == {"Exists", "DoesNotExist"}


def test_cluster_object_becomes_a_member_with_its_health() -> None:
    obj = {
        "metadata": {"name": "snc", "labels": {"havre.io/provider": "p"}},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False", "lastTransitionTime": "t", "message": "down"}
            ]
        },
    }
    found = member_from_cluster(obj)
    assert (found.provider, found.ready, found.since, found.message) == ("p", False, "t", "down")


def test_resident_dataset_must_be_held_where_it_resides() -> None:
    base = {"title": "t", "bucket": "bkt", "prefix": "p", "icebergNamespace": "n", "steward": "s"}
    with pytest.raises(ValidationError, match="residency"):
        DatasetSpec.model_validate({**base, "provider": "a", "residency": "b"})
    assert DatasetSpec.model_validate({**base, "residency": "b"}).holder == "b"
    assert DatasetSpec.model_validate(base).holder is None


def test_placement_defaults_to_no_requirement() -> None:
    spec = WorkspaceSpec.model_validate(
        {"title": "t", "owner": "alice", "expires": "2030-01-01T00:00:00Z"}
    )
    assert requirements(spec.placement).describe() == "no requirement"


def test_federation_renderers_import_no_client() -> None:
    forbidden = ("kubernetes", "kopf", "havre.kube", "minio", "trino", "keycloak", "psycopg")
    pure = ["render/policy.py", "render/interpreter.py", "placement.py", "status.py"]
    for relative in [*pure, "residency.py"]:
        path = ROOT / "operator" / "havre" / "federation" / relative
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith(forbidden), f"{relative}: {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(forbidden), f"{relative}: {alias.name}"
