"""The hub Workspace's status: the member's report plus what only the hub knows (pure).

Two writers share the hub object's status and must agree:

- Karmada runs the ``AggregateStatus`` Lua of ``render/interpreter.py`` whenever the
  member's reported status changes;
- the hub operator writes the ``Member`` condition (placed, no member fits, member
  unreachable) whenever Karmada's view of the placement or of the member changes.

``aggregate`` below is the Lua function in Python, line for line, so whichever runs
last writes the same status from the same inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from havre.api.model import Decision, WorkspaceSpec
from havre.federation.placement import MemberCluster

MEMBER = "Member"
READY = "Ready"


def _find(conditions: Sequence[Mapping[str, Any]] | None, kind: str) -> dict[str, Any] | None:
    for condition in conditions or ():
        if condition.get("type") == kind:
            return dict(condition)
    return None


def _stamped(condition: Mapping[str, Any], generation: int) -> dict[str, Any]:
    keys = ("type", "status", "reason", "message", "lastTransitionTime")
    return {**{k: condition[k] for k in keys if k in condition}, "observedGeneration": generation}


def reported(item: Mapping[str, Any] | None) -> bool:
    """True when a binding's status item carries the member's Ready condition."""
    return (
        item is not None and _find((item.get("status") or {}).get("conditions"), READY) is not None
    )


def aggregate(old: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    """The hub status from the member's reflected status ``item`` (Karmada's Lua twin)."""
    observed = item["status"]
    generation = old.get("observedGeneration")
    if (
        observed.get("observedGeneration") is not None
        and observed.get("observedGeneration") == observed.get("generation")
        and observed.get("resourceTemplateGeneration") is not None
    ):
        generation = observed["resourceTemplateGeneration"]
    generation = int(generation or 0)
    status: dict[str, Any] = {"member": item["clusterName"], "observedGeneration": generation}
    if observed.get("namespace") is not None:
        status["namespace"] = observed["namespace"]
    if observed.get("endpoints"):
        status["endpoints"] = observed["endpoints"]
    if observed.get("grants"):
        status["grants"] = observed["grants"]
    member = _find(old.get("conditions"), MEMBER)
    ready = _find(observed.get("conditions"), READY)
    assert ready is not None
    if member is not None and member.get("status") != "True":
        conditions = [{**_stamped(member, int(member["observedGeneration"])), "type": READY}]
        conditions[0]["status"] = "False"
    else:
        conditions = [_stamped(ready, generation)]
    for condition in observed.get("conditions", []):
        if condition.get("type") not in (READY, MEMBER):
            conditions.append(_stamped(condition, generation))
    if member is not None:
        conditions.append(member)
    status["conditions"] = conditions
    return status


@dataclass(frozen=True)
class MemberState:
    """The hub's own finding about the workspace's member: one condition's worth."""

    ok: bool
    reason: str
    message: str


def _condition(
    old: Sequence[Mapping[str, Any]], kind: str, state: MemberState, generation: int, now: str
) -> dict[str, Any]:
    previous = _find(old, kind)
    status = "True" if state.ok else "False"
    since = now
    if previous is not None and previous.get("status") == status:
        since = previous.get("lastTransitionTime", now)
    return {
        "type": kind,
        "status": status,
        "reason": state.reason,
        "message": state.message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }


def hub_status(
    old: Mapping[str, Any],
    generation: int,
    placed: str | None,
    state: MemberState,
    item: Mapping[str, Any] | None,
    now: str,
) -> dict[str, Any]:
    """The whole hub status: ``state`` as the Member condition, and Ready derived from it
    and, once the member has reported, from the member's own Ready (as the Lua does)."""
    old_conditions = old.get("conditions", [])
    member = _condition(old_conditions, MEMBER, state, generation, now)
    if placed is not None and item is not None and reported(item):
        base = {**old, "conditions": [*(c for c in old_conditions if c["type"] != MEMBER), member]}
        return aggregate(base, item)
    if state.ok:
        waiting = MemberState(False, "AwaitingMember", f"Waiting for member {placed} to report.")
        ready = _condition(old_conditions, READY, waiting, generation, now)
    else:
        ready = _condition(old_conditions, READY, state, generation, now)
    status: dict[str, Any] = {"observedGeneration": generation, "conditions": [ready, member]}
    if placed is not None:
        status["member"] = placed
    return status


def status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch turning status ``old`` into ``new`` (removed keys become null)."""
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    patch.update({k: v for k, v in new.items() if old.get(k) != v})
    return patch


def member_state(
    placed: str | None,
    members: Mapping[str, MemberCluster],
    binding: Mapping[str, Any] | None,
    item: Mapping[str, Any] | None,
    wanted: str,
) -> MemberState:
    """What the hub alone can tell: is the workspace placed, and is its member answering?

    ``wanted`` describes the requirements, for the message when no member fits.
    """
    if placed is None:
        scheduled = _find(((binding or {}).get("status") or {}).get("conditions"), "Scheduled")
        if scheduled is not None and scheduled.get("status") == "False":
            return MemberState(
                False,
                "NoMemberFits",
                f"No member cluster satisfies the placement ({wanted}): "
                f"{scheduled.get('message', '')}".rstrip(": "),
            )
        return MemberState(False, "Placing", f"Choosing a member cluster ({wanted}).")
    member = members.get(placed)
    if member is None or not member.ready:
        since = f" since {member.since}" if member is not None and member.since else ""
        return MemberState(
            False,
            "MemberUnreachable",
            f"Member {placed} has not answered the hub{since}; the workspace stays there "
            "(nothing is moved or deleted) and converges when the member is back.",
        )
    if item is not None and item.get("applied") is False:
        return MemberState(
            False,
            "MemberRejected",
            f"Member {placed} did not accept the workspace: {item.get('appliedMessage', '')}",
        )
    return MemberState(
        True,
        "Placed",
        f"Runs on member {placed} (provider {member.provider or '-'}, "
        f"region {member.region or '-'}).",
    )


def grant_status(
    old: Mapping[str, Any], generation: int, state: MemberState, now: str
) -> dict[str, Any]:
    """A hub grant's status: one Ready condition saying where it stands on its member."""
    ready = _condition(old.get("conditions", []), READY, state, generation, now)
    return {"observedGeneration": generation, "conditions": [ready]}


def member_report(item: Mapping[str, Any] | None, member: str) -> MemberState:
    """A member's own Ready condition for an object propagated there, as the hub's state."""
    ready = _find(((item or {}).get("status") or {}).get("conditions"), READY)
    if ready is None:
        return MemberState(False, "AwaitingMember", f"Waiting for member {member} to report.")
    return MemberState(
        ready.get("status") == "True",
        str(ready.get("reason", "")),
        f"On member {member}: {ready.get('message', '')}",
    )


def awaiting_approval(spec: WorkspaceSpec) -> MemberState | None:
    """Why a workspace not yet placed is not placed for now (None: it may be placed)."""
    if spec.approval is None:
        return MemberState(
            False,
            "AwaitingApproval",
            "The request is placed on a member once an approver approves it (spec.approval); "
            "no member holds anything of it until then.",
        )
    if spec.approval.decision is not Decision.APPROVED:
        return MemberState(
            False,
            "Rejected",
            f"Rejected by {spec.approval.by}; never placed on a member.",
        )
    return None


def remote_grant_state(
    dataset: str,
    holder: str,
    target: str | None,
    report: MemberState | None,
    reader: str,
    carried: bool = False,
) -> MemberState:
    """The hub's finding for a grant of data held at provider ``holder`` whose workspace
    runs on member ``reader``: credentials are issued on the holder's member ``target``;
    reading them from the workspace's Trino is not built, so it stays ``RemoteDataset``."""
    prefix = f"Dataset {dataset} is held at provider {holder}; the workspace runs on {reader}"
    if target is None:
        return MemberState(
            False, "RemoteDataset", f"{prefix}; no member of {holder} holds the dataset yet."
        )
    if report is None or not report.ok:
        where = report.message if report is not None else f"waiting for member {target}"
        return MemberState(False, "RemoteDataset", f"{prefix}; credentials pending: {where}")
    return MemberState(
        False,
        "RemoteDataset",
        f"{prefix}; credentials scoped to this grant are issued on member {target}"
        f"{f' and carried to member {reader}' if carried else ''}, but the workspace's Trino "
        "does not use them yet (docs/federation.md, Limits).",
    )
