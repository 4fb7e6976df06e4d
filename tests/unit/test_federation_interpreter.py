"""Karmada's Lua scripts for Workspace, run in Lua 5.1 (Karmada's gopher-lua dialect), agree
with Havre's Python twin: whichever of them writes the hub status writes the same."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lupa import lua51

from havre.federation.render.interpreter import (
    AGGREGATE_STATUS,
    INTERPRET_HEALTH,
    REFLECT_STATUS,
    render_interpreter,
)
from havre.federation.status import aggregate

Lua = Any


def to_lua(lua: Lua, value: Any) -> Any:
    if isinstance(value, dict):
        return lua.table_from({k: to_lua(lua, v) for k, v in value.items()})
    if isinstance(value, list):
        return lua.table_from([to_lua(lua, v) for v in value])
    return value


def from_lua(value: Any) -> Any:
    if lua51.lua_type(value) != "table":
        return int(value) if isinstance(value, float) and value.is_integer() else value
    items = dict(value.items())
    if items and all(isinstance(k, int) for k in items):
        return [from_lua(items[i]) for i in range(1, len(items) + 1)]
    return {k: from_lua(v) for k, v in items.items()}


def run(script: str, function: str, *args: Any) -> Any:
    lua = lua51.LuaRuntime()
    lua.execute(script)
    return from_lua(lua.globals()[function](*(to_lua(lua, a) for a in args)))


def cond(kind: str, status: str = "True", generation: int = 2) -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "reason": f"{kind}Reason",
        "message": f"{kind} message",
        "lastTransitionTime": "2026-11-29T11:00:00Z",
        "observedGeneration": generation,
    }


def member_obj(generation: int = 2, observed: int = 2, template: str = "3") -> dict[str, Any]:
    return {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Workspace",
        "metadata": {
            "name": "cardio",
            "generation": generation,
            "annotations": {"resourcetemplate.karmada.io/generation": template},
        },
        "status": {
            "observedGeneration": observed,
            "namespace": "ws-cardio",
            "endpoints": {"s3": "https://s3", "bucket": "ws-cardio"},
            "grants": [
                {
                    "name": "g",
                    "dataset": "d",
                    "legalBasis": "MR-004",
                    "expires": "2030-01-01T00:00:00Z",
                }
            ],
            "conditions": [
                cond("Ready", generation=observed),
                cond("Storage", generation=observed),
            ],
        },
    }


HUB_MEMBER_OK = cond("Member", "True", 3)
HUB_MEMBER_LOST = {**cond("Member", "False", 3), "reason": "MemberUnreachable"}


@pytest.mark.parametrize(
    ("observed", "hub_conditions"),
    [
        (member_obj(), []),
        (member_obj(), [HUB_MEMBER_OK]),
        (member_obj(), [HUB_MEMBER_LOST]),
        (member_obj(generation=3, observed=2, template="4"), [HUB_MEMBER_OK]),
        ({**member_obj(), "status": {**member_obj()["status"], "grants": []}}, []),
    ],
)
def test_lua_aggregation_matches_python(
    observed: dict[str, Any], hub_conditions: list[dict[str, Any]]
) -> None:
    reflected = run(REFLECT_STATUS, "ReflectStatus", copy.deepcopy(observed))
    item = {"clusterName": "snc", "applied": True, "health": "Healthy", "status": reflected}
    old = {"observedGeneration": 3, "member": "snc", "conditions": hub_conditions}
    desired = {"apiVersion": "havre.io/v1alpha1", "kind": "Workspace", "status": old}
    desired["metadata"] = {"name": "cardio", "generation": 4}
    by_lua = run(AGGREGATE_STATUS, "AggregateStatus", desired, [item])["status"]
    assert by_lua == aggregate(old, item)


def test_no_member_report_leaves_the_hub_object_alone() -> None:
    desired = {"metadata": {"name": "cardio", "generation": 1}, "status": {"member": "x"}}
    assert run(AGGREGATE_STATUS, "AggregateStatus", desired, []) == desired
    assert run(AGGREGATE_STATUS, "AggregateStatus", desired, [{"clusterName": "x"}]) == desired


def test_health_is_the_members_ready_condition() -> None:
    assert run(INTERPRET_HEALTH, "InterpretHealth", member_obj()) is True
    unready = member_obj()
    unready["status"]["conditions"][0]["status"] = "False"
    assert run(INTERPRET_HEALTH, "InterpretHealth", unready) is False
    assert run(INTERPRET_HEALTH, "InterpretHealth", {"metadata": {}}) is False


def test_customization_targets_workspace_with_all_three_scripts() -> None:
    spec = render_interpreter()["spec"]
    assert spec["target"] == {"apiVersion": "havre.io/v1alpha1", "kind": "Workspace"}
    assert set(spec["customizations"]) == {
        "statusReflection",
        "healthInterpretation",
        "statusAggregation",
    }
