"""Step 5, status (pure): the Workspace's status from this reconcile's results only.

Nothing is carried over from the previous status but the conditions' transition times: an
endpoint, a grant or a condition that this run did not produce is removed (the merge patch
sends ``null`` for it). Conditions, in the order ``Ready`` summarises them: ``Valid``,
``Approved``, ``Grants``, ``Size`` (only when its profile is missing), ``Namespace``,
``Storage``, ``Catalog``, ``Identity``, ``QueryEngine``, ``Credentials`` (only when
unreadable),
``Access``, then ``Degraded`` (a dependency down, retried).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.pipeline.apply import Applied, SystemResult
from havre.pipeline.conditions import Check as Check
from havre.pipeline.conditions import conditions_json, merge_conditions, merge_patch, summary
from havre.pipeline.engine_availability import ENGINE_DEPLOYMENTS, DeploymentState
from havre.pipeline.engine_availability import query_engine_check as engine_check
from havre.pipeline.render.desired import Desired
from havre.pipeline.render.identity import IdentityPlan
from havre.pipeline.validate import (
    APPROVED,
    AWAITING_APPROVAL,
    REJECTED,
    InvalidWorkspace,
    ValidWorkspace,
)

#: What each system's condition says when it is in place.
_OK = {
    "Namespace": ("Applied", "Namespace {ns} with quota, network policies and roles is in place."),
    "Storage": ("Provisioned", "Bucket {bucket} with a {storage} quota; credentials {state}."),
    "Catalog": ("Provisioned", "Catalog database {db}; login {state}."),
}


@dataclass(frozen=True)
class WorkspaceStatus:
    status: dict[str, Any]
    #: The merge patch that turns the previous status into ``status`` (None: unchanged).
    patch: dict[str, Any] | None
    conditions: tuple[Check, ...]
    #: A temporary failure (a dependency down): retry with backoff.
    retry: bool


def _system_check(kind: str, result: SystemResult, ws: ValidWorkspace | None) -> Check:
    if result.error is not None:
        return Check(kind, False, result.error.reason, result.error.message)
    reason, template = _OK[kind]
    state = "enabled" if ws is not None and ws.enabled else "disabled"
    text = template.format(
        ns=names.namespace(ws.name) if ws else "",
        bucket=names.bucket(ws.name) if ws else "",
        storage=ws.size.storage if ws else "",
        db=names.database(ws.name) if ws else "",
        state=state,
    )
    return Check(kind, True, reason, text)


def identity_check(result: SystemResult, plan: IdentityPlan) -> Check:
    """``Identity``: the workspace's groups match its members, or why not
    (``UnknownMember`` naming them, ``IdentityProviderUnavailable``, a group conflict)."""
    if result.error is not None:
        return Check("Identity", False, result.error.reason, result.error.message)
    path = plan.workspace_group.path
    if not plan.enabled:
        return Check("Identity", True, "Synchronized", f"Groups under {path} hold nobody.")
    held = ", ".join(f"{len(g.members)} {g.name}" for g in plan.role_groups)
    return Check(
        "Identity", True, "Synchronized", f"Groups under {path} match the members ({held})."
    )


def grants_check(ws: ValidWorkspace) -> Check:
    """``Grants``: names every grant that degrades itself, or says which are in force."""
    problems = [p for p in ws.problems if p.type == "Grants"]
    if problems:
        message = "; ".join(p.message for p in problems) + ". The other grants are applied."
        return Check("Grants", False, problems[0].reason, message)
    listed = ", ".join(f"{g.name} ({g.dataset})" for g in ws.grants) or "none"
    return Check("Grants", True, "InForce", f"Grants in force: {listed}.")


def approval_check(ws: ValidWorkspace) -> Check:
    """``Approved``: a request is provisioned only once an approver approved it."""
    approval = ws.spec.approval
    if ws.approved:
        by = approval.by if approval is not None else "?"
        return Check("Approved", True, APPROVED, f"Approved by {by}.")
    if ws.approval == AWAITING_APPROVAL:
        return Check(
            "Approved",
            False,
            AWAITING_APPROVAL,
            "The workspace is a request awaiting an approver's decision; nothing is "
            "provisioned until it is approved.",
        )
    why = f" ({approval.reason})" if approval is not None and approval.reason else ""
    by = approval.by if approval is not None else "?"
    state = "access is removed, data kept" if ws.provisioned else "nothing is provisioned"
    return Check("Approved", False, REJECTED, f"Rejected by {by}{why}: {state}.")


def access_check(ws: ValidWorkspace) -> Check:
    if not ws.approved:
        return Check("Access", False, ws.approval, "No access until the workspace is approved.")
    expires = ws.spec.expires.isoformat()
    if ws.expired:
        return Check(
            "Access",
            False,
            "Expired",
            f"The authorisation ended at {expires}: members' access was removed; data is kept.",
        )
    if ws.spec.suspended:
        return Check("Access", False, "Suspended", "The workspace is suspended; data is kept.")
    return Check("Access", True, "Granted", f"{len(ws.members)} member(s) until {expires}.")


def query_engine_check(desired: Desired, applied: Applied) -> list[Check]:
    """``QueryEngine``: a render problem as rendered; otherwise what the Trino Deployments
    report about themselves after this run's apply (``applied.live``), so that it is True
    only when they are Available."""
    rendered = [c for c in desired.checks if c.type == "QueryEngine"]
    if not rendered or not rendered[0].ok or desired.cluster is None:
        return rendered
    namespace = names.namespace(desired.cluster.owner.name)
    return [
        engine_check(
            [
                DeploymentState.from_object(name, applied.live.get(("Deployment", namespace, name)))
                for name in ENGINE_DEPLOYMENTS
            ]
        )
    ]


def _checks(
    validated: ValidWorkspace | InvalidWorkspace, desired: Desired, applied: Applied
) -> list[Check]:
    if isinstance(validated, InvalidWorkspace):
        ws = None
        checks = [validated.problem]
    else:
        ws = validated
        spec_problems = [p for p in ws.problems if p.type == "Members"]
        checks = [
            Check("Valid", False, spec_problems[0].reason, spec_problems[0].message)
            if spec_problems
            else Check("Valid", True, "Valid", "The spec is valid."),
            approval_check(ws),
            grants_check(ws),
            *[p for p in ws.problems if p.type == "Size"],
        ]
    for kind in ("Namespace", "Storage", "Catalog"):
        result = applied.systems.get(kind)
        if result is not None and result.ran:
            checks.append(_system_check(kind, result, ws))
    identity = applied.systems.get("Identity")
    if identity is not None and identity.ran and desired.identity is not None:
        checks.append(identity_check(identity, desired.identity))
    checks += query_engine_check(desired, applied)
    checks += [c for c in desired.checks if c.type == "Credentials"]
    if ws is not None:
        checks.append(access_check(ws))
    return checks


def _ready(checks: list[Check]) -> Check:
    """``Ready``: every part in place. Access withdrawn as the spec asks (suspended,
    expired) is in place too: Ready, with that reason."""
    parts = [c for c in checks if c.type != "Access"]
    ready = summary(parts)
    access = next((c for c in checks if c.type == "Access"), None)
    if ready.ok and access is not None and not access.ok:
        return Check("Ready", True, access.reason, access.message)
    return ready


def workspace_status(
    name: str,
    generation: int,
    old_status: Mapping[str, Any],
    validated: ValidWorkspace | InvalidWorkspace,
    desired: Desired,
    applied: Applied,
    now: dt.datetime,
) -> WorkspaceStatus:
    checks = _checks(validated, desired, applied)
    failing = [r.error for r in applied.systems.values() if r.error is not None]
    temporary = next(
        (Check("", False, e.reason, e.message) for e in failing if not e.permanent),
        next((c for c in desired.checks if not c.ok), None) if desired.retry else None,
    )
    degraded = Check(
        "Degraded",
        temporary is not None,
        temporary.reason if temporary else "AsExpected",
        "A dependency is unavailable; retrying." if temporary else "No dependency is failing.",
    )
    all_checks = [_ready(checks), *checks, degraded]
    conditions = merge_conditions(
        list(old_status.get("conditions", [])), all_checks, generation, now.replace(microsecond=0)
    )
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": conditions_json(conditions),
    }
    if desired.cluster is not None:
        status["namespace"] = names.namespace(name)
    if desired.endpoints:
        status["endpoints"] = dict(desired.endpoints)
    if isinstance(validated, ValidWorkspace) and desired.cluster is not None:
        status["grants"] = [
            {
                "name": g.name,
                "dataset": g.dataset,
                "legalBasis": g.legal_basis,
                "expires": g.expires.isoformat().replace("+00:00", "Z"),
            }
            for g in validated.grants
        ]
    patch = merge_patch(old_status, status)
    return WorkspaceStatus(status, patch or None, tuple(all_checks), temporary is not None)
