"""QueryEngine follows the Trino Deployments' own status, not the presence of objects."""

from __future__ import annotations

from typing import Any

from havre.pipeline.engine_availability import (
    DeploymentState,
    availability_signature,
    query_engine_check,
)


def deployment(
    name: str,
    replicas: int = 1,
    available: int | None = None,
    conditions: list[tuple[str, str, str]] | None = None,
    generation: int = 2,
    observed: int = 2,
) -> dict[str, Any]:
    ready = replicas if available is None else available
    default = [
        ("Available", "True", "MinimumReplicasAvailable"),
        ("Progressing", "True", "NewReplicaSetAvailable"),
    ]
    return {
        "metadata": {"name": name, "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "availableReplicas": ready,
            "updatedReplicas": replicas,
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": f"{t} says {r}"}
                for t, s, r in (conditions or default)
            ],
        },
    }


def states(*objects: dict[str, Any] | None) -> list[DeploymentState]:
    names = ("trino-coordinator", "trino-worker")
    return [DeploymentState.from_object(n, o) for n, o in zip(names, objects, strict=True)]


def test_available_coordinator_and_workers_make_the_engine_true() -> None:
    check = query_engine_check(
        states(deployment("trino-coordinator"), deployment("trino-worker", 2))
    )
    assert (check.type, check.ok, check.reason) == ("QueryEngine", True, "Available")
    assert "trino-worker 2/2 available" in check.message


def test_worker_that_cannot_be_scheduled_gives_the_deployment_reason() -> None:
    unavailable = deployment(
        "trino-worker",
        available=0,
        conditions=[
            ("Available", "False", "MinimumReplicasUnavailable"),
            ("Progressing", "True", "NewReplicaSetAvailable"),
        ],
    )
    check = query_engine_check(states(deployment("trino-coordinator"), unavailable))
    assert (check.ok, check.reason) == (False, "MinimumReplicasUnavailable")
    assert "trino-worker 0/1 available" in check.message


def test_objects_that_exist_but_never_ran_are_not_an_engine() -> None:
    fresh = {"metadata": {"name": "trino-coordinator", "generation": 1}, "spec": {"replicas": 1}}
    check = query_engine_check(states(fresh, deployment("trino-worker")))
    assert not check.ok and check.reason == "Progressing"


def test_missing_deployment_is_reported() -> None:
    check = query_engine_check(states(None, deployment("trino-worker")))
    assert (check.ok, check.reason) == (False, "DeploymentMissing")


def test_progress_deadline_exceeded_wins_over_availability() -> None:
    stuck = deployment(
        "trino-coordinator",
        conditions=[
            ("Available", "True", "MinimumReplicasAvailable"),
            ("Progressing", "False", "ProgressDeadlineExceeded"),
        ],
    )
    check = query_engine_check(states(stuck, deployment("trino-worker")))
    assert (check.ok, check.reason) == (False, "ProgressDeadlineExceeded")


def test_rolling_update_is_not_yet_available() -> None:
    rolling = deployment(
        "trino-worker",
        replicas=4,
        available=3,
        conditions=[
            ("Available", "True", "MinimumReplicasAvailable"),
            ("Progressing", "True", "ReplicaSetUpdated"),
        ],
    )
    check = query_engine_check(states(deployment("trino-coordinator"), rolling))
    assert (check.ok, check.reason) == (False, "ReplicaSetUpdated")


def test_spec_not_yet_observed_is_progressing() -> None:
    behind = deployment("trino-coordinator", generation=3, observed=2)
    check = query_engine_check(states(behind, deployment("trino-worker")))
    assert (check.ok, check.reason) == (False, "Progressing")


def test_suspended_workspace_scaled_to_zero() -> None:
    check = query_engine_check(
        states(deployment("trino-coordinator", 0), deployment("trino-worker", 0))
    )
    assert (check.ok, check.reason) == (True, "ScaledToZero")


def test_signature_ignores_what_does_not_change_availability() -> None:
    before = deployment("trino-worker")
    after = deployment("trino-worker")
    after["metadata"]["annotations"] = {"x": "y"}
    after["status"]["conditions"][0]["lastUpdateTime"] = "2026-01-01T00:00:00Z"
    assert availability_signature(before) == availability_signature(after)
    lost = deployment(
        "trino-worker",
        available=0,
        conditions=[("Available", "False", "MinimumReplicasUnavailable")],
    )
    assert availability_signature(before) != availability_signature(lost)
