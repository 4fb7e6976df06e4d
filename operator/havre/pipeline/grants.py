"""When a DatasetGrant is in force: pure rules shared by the grant's own status, the
Dataset's ``grantedTo`` and every workspace reconcile, so all three always agree.

A grant binds to objects, not names. It attaches to the Workspace and the Dataset it
names only if it was created after them (``creationTimestamp``), and once attached its
status records their UIDs (``status.workspaceUID``, ``status.datasetUID``): from then on it
opens data to those objects only. A grant made before its workspace existed (by creation
time, or because its status already recorded that no such workspace existed), or whose
workspace was deleted, never opens anything to a later object of the same name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.api.model import DatasetGrantSpec
from havre.pipeline.conditions import Check, conditions_json, merge_conditions, summary
from havre.pipeline.records import DatasetRecord, GrantRecord, WorkspaceRecord


@dataclass(frozen=True)
class GrantState:
    """A grant's conditions now, and the UIDs it is (or stays) bound to."""

    checks: tuple[Check, ...]
    workspace_uid: str
    dataset_uid: str

    @property
    def in_force(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)


def _bind(
    kind: str,
    name: str,
    recorded: str,
    grant: GrantRecord,
    target: WorkspaceRecord | DatasetRecord | None,
    deleting: bool,
) -> tuple[Check, str]:
    """Whether the grant holds on to ``target``: (the check, the UID bound to or kept)."""
    found = f"{kind}Found"
    if recorded:
        if target is None or target.uid != recorded or deleting:
            return (
                Check(
                    found,
                    False,
                    f"{kind}Deleted",
                    f"{kind} {name} this grant was attached to (uid {recorded}) was deleted; "
                    "the grant opens nothing, not even to a new object of that name.",
                ),
                recorded,
            )
        return Check(found, True, "Attached", f"Attached to {kind} {name}."), recorded
    if target is None:
        return (
            Check(
                found,
                False,
                f"{kind}NotFound",
                f"{kind} {name} does not exist; the grant opens nothing.",
            ),
            "",
        )
    absent_seen = grant.workspace_absent if kind == "Workspace" else grant.dataset_absent
    if target.created > grant.created or absent_seen:
        return (
            Check(
                found,
                False,
                f"{kind}NotFound",
                f"{kind} {name} was created after this grant; a grant never opens data to an "
                "object that did not exist when it was made. Create the grant again.",
            ),
            "",
        )
    if deleting:
        return Check(found, False, f"{kind}Deleted", f"{kind} {name} is being deleted."), ""
    return Check(found, True, "Attached", f"Attached to {kind} {name}."), target.uid


def grant_state(
    grant: GrantRecord,
    workspace: WorkspaceRecord | None,
    dataset: DatasetRecord | None,
    dataset_problem: Check | None,
    now: dt.datetime,
) -> GrantState:
    """The grant's checks, in the order a person reads them: spec, workspace, dataset,
    the dataset's own validity, then whether it is active now."""
    spec = grant.spec
    if spec is None:
        invalid = Check("Valid", False, "InvalidSpec", grant.spec_problem or "invalid spec")
        return GrantState((invalid,), grant.workspace_uid, grant.dataset_uid)
    ws_check, ws_uid = _bind(
        "Workspace",
        spec.workspace,
        grant.workspace_uid,
        grant,
        workspace,
        workspace is not None and workspace.deleting,
    )
    ds_check, ds_uid = _bind("Dataset", spec.dataset, grant.dataset_uid, grant, dataset, False)
    checks = [Check("Valid", True, "Valid", "The spec is valid."), ws_check, ds_check]
    if dataset_problem is not None:
        checks.append(Check("DatasetValid", False, dataset_problem.reason, dataset_problem.message))
    checks.append(active_check(checks, spec, grant.deleting, now, spec.workspace))
    return GrantState(tuple(checks), ws_uid, ds_uid)


def active_check(
    checks: list[Check], spec: DatasetGrantSpec, deleting: bool, now: dt.datetime, reader: str
) -> Check:
    """``Active``: ended at ``expires``, being deleted, else in force once every earlier
    check holds. ``reader`` names who reads (the workspace, and where it runs)."""
    expires = spec.expires.isoformat().replace("+00:00", "Z")
    if spec.expires <= now:
        return Check("Active", False, "Expired", f"Access to {spec.dataset} ended at {expires}.")
    if deleting:
        return Check("Active", False, "Deleting", "The grant is being deleted.")
    waiting = not all(c.ok for c in checks)
    return Check(
        "Active",
        not waiting,
        "Waiting" if waiting else "Active",
        f"{reader} may read {spec.dataset} until {expires} ({spec.legal_basis}).",
    )


def grant_status(
    old: Mapping[str, Any], generation: int, state: GrantState, now: dt.datetime
) -> dict[str, Any]:
    """The grant's status: its conditions (``Ready`` first) and the UIDs it is bound to."""
    checks = list(state.checks)
    conditions = merge_conditions(
        list(old.get("conditions", [])),
        [summary(checks), *checks],
        generation,
        now.replace(microsecond=0),
    )
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": conditions_json(conditions),
    }
    if state.workspace_uid:
        status["workspaceUID"] = state.workspace_uid
    if state.dataset_uid:
        status["datasetUID"] = state.dataset_uid
    return status
