"""The cluster part of the apply step and the operator's access: nothing written when the
cluster already matches, what is no longer rendered deleted, an immutable roleRef replaced,
and the namespace opened (binding in force) before anything is read in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from havre.pipeline.apply_cluster import ApplyReport, contains, provision_cluster, revoke_cluster
from havre.pipeline.material import prepare_material
from havre.pipeline.operator_access import open_namespace
from havre.pipeline.render.cluster import ClusterPlan
from havre.pipeline.render.desired import render_desired
from havre.pipeline.render.namespace import render_namespace_of
from havre.pipeline.render.rbac import render_operator_binding
from havre.pipeline.validate import validate_workspace
from tests.unit.conftest import NOW
from tests.unit.fakes import FakeApiServer, api_server
from tests.unit.world import SETTINGS, UID, workspace_body


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    with api_server() as server:
        yield server


def _plan(**spec: Any) -> ClusterPlan:
    ws = validate_workspace("cardio", workspace_body(**spec)["spec"], NOW)
    plan = render_desired(replace(ws, uid=UID), prepare_material({}), SETTINGS).cluster
    assert plan is not None
    return plan


def _apply(api: FakeApiServer, plan: ClusterPlan) -> ApplyReport:
    cluster, report = api.cluster(), ApplyReport()
    live = revoke_cluster(cluster, plan, report)
    provision_cluster(cluster, plan, live, report)
    return report


def test_a_second_apply_of_the_same_plan_writes_nothing(api: FakeApiServer) -> None:
    plan = _plan()
    first = _apply(api, plan)
    assert first.applied and not first.failed
    before = len(api.requests)
    second = _apply(api, plan)
    assert second.applied == [] and second.deleted == []
    assert all(method == "GET" for method, _ in api.requests[before:])


def test_a_member_removed_loses_its_binding_in_the_first_phase(api: FakeApiServer) -> None:
    full = _plan()
    _apply(api, full)
    members = workspace_body()["spec"]["members"]
    fewer = _plan(members=members[:1])
    report = ApplyReport()
    revoke_cluster(api.cluster(), fewer, report)  # the removal needs no second phase
    assert report.deleted, "a binding of the removed member was deleted"
    assert all("RoleBinding" in d for d in report.deleted)


def test_an_object_edited_by_hand_is_rewritten(api: FakeApiServer) -> None:
    plan = _plan()
    _apply(api, plan)
    path = next(p for p in api.objects if p.endswith("/networkpolicies/havre-default-deny"))
    api.objects[path]["spec"] = {"podSelector": {}}
    report = _apply(api, plan)
    assert any("havre-default-deny" in a for a in report.applied)


def test_contains_compares_only_what_is_rendered() -> None:
    assert contains({"a": 1}, {"a": 1, "b": 2})
    assert not contains({"a": [1, 2]}, {"a": [1]})
    assert not contains({"a": {"b": 1}}, {"a": {"b": 2}})


def test_the_namespace_and_the_operators_binding_come_first(api: FakeApiServer) -> None:
    plan = _plan()
    changed = open_namespace(
        api.cluster(),
        plan.owner,
        render_namespace_of("cardio"),
        render_operator_binding("cardio", SETTINGS),
    )
    assert changed == ["Namespace/ws-cardio", "RoleBinding/ws-cardio/havre-operator"]
    assert api.requests[-1] == ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    before = len(api.requests)
    again = open_namespace(
        api.cluster(),
        plan.owner,
        render_namespace_of("cardio"),
        render_operator_binding("cardio", SETTINGS),
    )
    assert again == [] and all(m == "GET" for m, _ in api.requests[before:])


def _written(api: FakeApiServer, since: int) -> list[str]:
    """The plural of each object written (server-side apply) since request ``since``."""
    return [path.split("/")[-2] for method, path in api.requests[since:] if method == "PATCH"]


def test_writes_go_in_tiers_bindings_after_roles_workloads_last(api: FakeApiServer) -> None:
    plan = _plan()
    report = _apply(api, plan)
    written = _written(api, 0)
    assert {"clusterroles", "clusterrolebindings", "rolebindings", "networkpolicies"} <= set(
        written
    )

    def last(*plurals: str) -> int:
        return max(i for i, p in enumerate(written) if p in plurals)

    def first(*plurals: str) -> int:
        return min(i for i, p in enumerate(written) if p in plurals)

    # Every role (and its cluster-wide kin) before the first binding.
    assert last("namespaces", "roles", "clusterroles") < first(
        "rolebindings", "clusterrolebindings"
    )
    if "deployments" in written:
        assert last("rolebindings", "networkpolicies", "resourcequotas", "secrets") < first(
            "deployments"
        )
    # The report lists the objects tier by tier, each in the plan's order (not in the order
    # the concurrent writes happened to end).
    rank = {"Namespace": 0, "RoleBinding": 2, "ClusterRoleBinding": 2, "Deployment": 3}
    rendered = sorted((m["kind"] for m in plan.manifests), key=lambda k: rank.get(k, 1))
    assert [a.split("/")[0] for a in report.applied] == rendered
