"""The ``QueryEngine`` condition, from what the Trino Deployments report about themselves.

Pure: ``DeploymentState.from_object`` reads a Deployment as the API server returned it,
``query_engine_check`` turns the coordinator's and workers' states into a Check. The engine
is True only when every Deployment is ``Available`` and fully rolled out; otherwise False
with the Deployment's own reason (``MinimumReplicasUnavailable``,
``ProgressDeadlineExceeded``, ``ReplicaSetUpdated``…), so a worker that cannot be scheduled
shows as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from havre.pipeline.conditions import Check
from havre.pipeline.render.trino_workloads import COORDINATOR, WORKER

CONDITION = "QueryEngine"
#: The Deployments whose availability is the engine's, in the order problems are reported.
ENGINE_DEPLOYMENTS = (f"trino-{COORDINATOR}", f"trino-{WORKER}")


@dataclass(frozen=True)
class DeploymentCondition:
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class DeploymentState:
    """What a Deployment says about itself (None fields: the object does not exist)."""

    name: str
    found: bool
    replicas: int = 0
    generation: int = 0
    observed_generation: int = 0
    available_replicas: int = 0
    updated_replicas: int = 0
    available: DeploymentCondition | None = None
    progressing: DeploymentCondition | None = None

    @classmethod
    def from_object(cls, name: str, obj: Mapping[str, Any] | None) -> DeploymentState:
        if obj is None:
            return cls(name=name, found=False)
        status = obj.get("status") or {}
        conditions = {
            c.get("type"): DeploymentCondition(
                str(c.get("status", "Unknown")), str(c.get("reason", "")), str(c.get("message", ""))
            )
            for c in status.get("conditions") or []
        }
        return cls(
            name=name,
            found=True,
            replicas=int((obj.get("spec") or {}).get("replicas", 1)),
            generation=int(obj.get("metadata", {}).get("generation", 0)),
            observed_generation=int(status.get("observedGeneration", 0)),
            available_replicas=int(status.get("availableReplicas", 0)),
            updated_replicas=int(status.get("updatedReplicas", 0)),
            available=conditions.get("Available"),
            progressing=conditions.get("Progressing"),
        )

    @property
    def counts(self) -> str:
        return f"{self.name} {self.available_replicas}/{self.replicas} available"


def _problem(state: DeploymentState) -> tuple[str, str] | None:
    """(reason, message) of what keeps this Deployment from serving, or None."""
    if not state.found:
        return "DeploymentMissing", f"Deployment {state.name} does not exist yet."
    if state.observed_generation < state.generation:
        return "Progressing", f"Deployment {state.name}: its latest spec is not rolled out yet."
    available, progressing = state.available, state.progressing
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        return progressing.reason, f"Deployment {state.name}: {progressing.message}"
    if available is None or available.status != "True":
        reason = available.reason if available is not None else "Progressing"
        said = available.message if available is not None else "no availability reported yet"
        return reason, f"Deployment {state.name}: {said} ({state.counts})."
    if state.available_replicas < state.replicas or state.updated_replicas < state.replicas:
        reason = progressing.reason if progressing is not None else "Progressing"
        return reason, f"Deployment {state.name} is rolling out ({state.counts})."
    return None


def query_engine_check(deployments: Sequence[DeploymentState]) -> Check:
    """True when every Deployment is Available and rolled out; else the first problem."""
    for state in deployments:
        problem = _problem(state)
        if problem is not None:
            return Check(CONDITION, False, problem[0], problem[1])
    if all(state.replicas == 0 for state in deployments):
        return Check(
            CONDITION,
            True,
            "ScaledToZero",
            "No Trino node runs while the workspace is suspended or expired.",
        )
    counts = ", ".join(state.counts for state in deployments)
    return Check(CONDITION, True, "Available", f"Trino serves: {counts}.")


def availability_signature(obj: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of a Deployment the QueryEngine condition depends on: a change of anything
    else (an annotation, a status timestamp) needs no new reconcile."""
    state = DeploymentState.from_object(obj.get("metadata", {}).get("name", ""), obj)
    return (
        state.replicas,
        state.generation,
        state.observed_generation,
        state.available_replicas,
        state.updated_replicas,
        state.available,
        state.progressing.reason if state.progressing else None,
    )
