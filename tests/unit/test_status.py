"""The status step: conditions from this run's results, Ready summarising them (access
withdrawn as asked is Ready), Degraded for a dependency down, stale fields cleared."""

from __future__ import annotations

import dataclasses
from typing import Any

from havre.errors import DependencyUnavailable
from havre.external.identity import IdentityProviderUnavailable
from havre.external.ownership import NameRetained
from havre.pipeline.apply import Applied, SystemResult
from havre.pipeline.apply_identity import UnknownMember
from havre.pipeline.conditions import Check
from havre.pipeline.render.cluster import ClusterPlan, Owner
from havre.pipeline.render.desired import Desired
from havre.pipeline.render.identity import render_identity_plan
from havre.pipeline.status import workspace_status
from havre.pipeline.validate import ValidWorkspace
from tests.unit.conftest import NOW


def status(ws: ValidWorkspace, systems: dict[str, SystemResult], old: Any = None) -> Any:
    desired = Desired(cluster=None, endpoints={"s3": "http://s"})
    return workspace_status(ws.name, 3, old or {}, ws, desired, Applied(systems), NOW)


def by_type(result: Any) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in result.status["conditions"]}


OK = {"Namespace": SystemResult(), "Storage": SystemResult(), "Catalog": SystemResult()}


def test_every_part_in_place_is_ready(cardio: ValidWorkspace) -> None:
    result = status(cardio, OK)
    conditions = by_type(result)
    assert conditions["Ready"]["status"] == "True"
    assert set(conditions) == {
        "Ready",
        "Valid",
        "Approved",
        "Grants",
        "Namespace",
        "Storage",
        "Catalog",
        "Access",
        "Degraded",
    }
    assert all(c["observedGeneration"] == 3 for c in conditions.values())
    assert not result.retry


def test_a_suspended_workspace_is_ready_with_that_reason(cardio: ValidWorkspace) -> None:
    suspended = dataclasses.replace(cardio, spec=cardio.spec.model_copy(update={"suspended": True}))
    conditions = by_type(status(suspended, OK))
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("True", "Suspended")
    assert conditions["Access"]["status"] == "False"


def test_a_dependency_down_is_degraded_and_retried(cardio: ValidWorkspace) -> None:
    down = DependencyUnavailable("store down", reason="ObjectStoreUnavailable")
    result = status(cardio, {**OK, "Storage": SystemResult(error=down)})
    conditions = by_type(result)
    assert conditions["Ready"]["reason"] == "ObjectStoreUnavailable"
    assert conditions["Degraded"]["status"] == "True" and result.retry


def test_a_retained_name_is_not_ready_and_not_retried(cardio: ValidWorkspace) -> None:
    retained = NameRetained("bucket ws-cardio belongs to an earlier workspace")
    result = status(cardio, {**OK, "Catalog": SystemResult(error=retained)})
    assert by_type(result)["Ready"]["reason"] == "NameRetained" and not result.retry


def test_a_poisoned_grant_is_named_on_grants_and_ready(cardio: ValidWorkspace) -> None:
    problem = Check("Grants", False, "ReservedName", "grant g-bad: reserved")
    result = status(dataclasses.replace(cardio, problems=(problem,)), OK)
    conditions = by_type(result)
    assert conditions["Grants"]["reason"] == "ReservedName"
    assert "g-bad" in conditions["Ready"]["message"]


def test_fields_this_run_did_not_produce_are_cleared(cardio: ValidWorkspace) -> None:
    old = {"endpoints": {"s3": "http://s", "trino": "https://old"}, "phase": "x"}
    result = status(cardio, OK, old)
    assert result.patch["endpoints"] == {"trino": None}
    assert result.patch["phase"] is None
    again = status(cardio, OK, result.status)
    assert again.patch is None, "an idle run writes nothing"


def _engine_status(cardio: ValidWorkspace, live: dict[Any, Any]) -> dict[str, Any]:
    """The QueryEngine condition when Trino was rendered and the cluster holds ``live``."""
    plan = ClusterPlan(Owner("havre.io/v1alpha1", "Workspace", cardio.name, "u"), ())
    rendered = Check("QueryEngine", True, "Configured", "Trino rendered")
    desired = Desired(cluster=plan, checks=(rendered,))
    result = workspace_status(cardio.name, 3, {}, cardio, desired, Applied(OK, live=live), NOW)
    return by_type(result)["QueryEngine"]


def _deployment(name: str, available: str, reason: str, ready: int) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "generation": 2},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 2,
            "availableReplicas": ready,
            "updatedReplicas": 1,
            "conditions": [{"type": "Available", "status": available, "reason": reason}],
        },
    }


def test_query_engine_is_true_only_when_the_applied_deployments_are_available(
    cardio: ValidWorkspace,
) -> None:
    ns = f"ws-{cardio.name}"
    up = {
        ("Deployment", ns, f"trino-{part}"): _deployment(
            f"trino-{part}", "True", "MinimumReplicasAvailable", 1
        )
        for part in ("coordinator", "worker")
    }
    assert _engine_status(cardio, up)["status"] == "True"
    stuck = _deployment("trino-worker", "False", "MinimumReplicasUnavailable", 0)
    engine = _engine_status(cardio, {**up, ("Deployment", ns, "trino-worker"): stuck})
    assert (engine["status"], engine["reason"]) == ("False", "MinimumReplicasUnavailable")
    missing = _engine_status(cardio, {})
    assert (missing["status"], missing["reason"]) == ("False", "DeploymentMissing")


def identity_status(ws: ValidWorkspace, result: SystemResult) -> Any:
    plan = render_identity_plan(ws, "havre")
    desired = Desired(cluster=None, identity=plan)
    return workspace_status(ws.name, 3, {}, ws, desired, Applied({**OK, "Identity": result}), NOW)


def test_groups_in_sync_report_identity_synchronized(cardio: ValidWorkspace) -> None:
    conditions = by_type(identity_status(cardio, SystemResult()))
    assert conditions["Identity"]["reason"] == "Synchronized"
    assert "/havre/cardio" in conditions["Identity"]["message"]
    assert conditions["Ready"]["status"] == "True"


def test_an_unknown_member_is_named_and_not_retried(cardio: ValidWorkspace) -> None:
    result = identity_status(cardio, SystemResult(error=UnknownMember(["ghost"])))
    conditions = by_type(result)
    assert conditions["Identity"]["reason"] == "UnknownMember"
    assert "ghost" in conditions["Identity"]["message"]
    assert conditions["Ready"]["reason"] == "UnknownMember" and not result.retry
    assert conditions["Storage"]["status"] == "True"


def test_identity_provider_down_is_degraded_and_retried(cardio: ValidWorkspace) -> None:
    down = IdentityProviderUnavailable("https://id/realms/havre: connection refused")
    result = identity_status(cardio, SystemResult(error=down))
    conditions = by_type(result)
    assert conditions["Identity"]["reason"] == "IdentityProviderUnavailable"
    assert conditions["Degraded"]["status"] == "True" and result.retry
