"""Step 2, validate (pure): what the API server's schema cannot say, producing the
renderers' only input.

An invalid item degrades only itself: a member entry that contradicts the owner, or a
grant that cannot be in force (its dataset is invalid, reserved, misplaced or missing), is
left out and reported (``problems``), and everything else is rendered and applied. A spec
that cannot be read at all grants nothing: ``InvalidWorkspace`` renders the workspace's
access withdrawn (data kept) until the spec is fixed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from havre.api.model import Decision, Member, Role, Size, WorkspaceSpec, resolve_size
from havre.errors import HavreError, InvalidSpec
from havre.federation.remote_grant import read_from_elsewhere
from havre.pipeline.conditions import Check
from havre.pipeline.datasets import INVALID_REASONS, dataset_problem
from havre.pipeline.grants import grant_state
from havre.pipeline.records import GrantRecord

if TYPE_CHECKING:  # dereference imports the renderers, which import this module
    from havre.pipeline.dereference import Refs

#: Reasons of the ``Approved`` condition.
APPROVED, AWAITING_APPROVAL, REJECTED = "Approved", "AwaitingApproval", "Rejected"


@dataclass(frozen=True, order=True)
class ValidGrant:
    """A grant in force now, with where its dataset lives (patterns checked)."""

    name: str
    dataset: str
    legal_basis: str
    expires: dt.datetime
    bucket: str
    prefix: str


@dataclass(frozen=True)
class ValidWorkspace:
    """A workspace the renderers can trust: parsed, checked, with its effective members."""

    name: str
    #: The effective spec: a workspace whose approval is pending, refused or withdrawn is
    #: held ``suspended`` (access removed, data kept), whatever its spec says.
    spec: WorkspaceSpec
    #: The owner first, as an owner, then the other members in spec order.
    members: tuple[Member, ...]
    expired: bool
    #: The effective size: the size profile's values with ``spec.size``'s overrides.
    size: Size = field(default_factory=Size)
    uid: str = ""
    #: Grants in force, sorted by name: the only grants the renderers ever see.
    grants: tuple[ValidGrant, ...] = ()
    #: Items left out, each as a failed check naming it (``Members``, ``Grants``, ``Size``).
    problems: tuple[Check, ...] = ()
    #: ``Approved``, ``AwaitingApproval`` or ``Rejected``.
    approval: str = APPROVED
    #: False when the size profile is missing: only access is applied, nothing sized.
    size_known: bool = True
    #: False for a request never approved whose namespace does not exist: nothing outside
    #: the Workspace object is created.
    provisioned: bool = True

    @property
    def enabled(self) -> bool:
        """Whether members may use the workspace now (approved, not suspended or expired)."""
        return not (self.spec.suspended or self.expired)

    @property
    def approved(self) -> bool:
        return self.approval == APPROVED


@dataclass(frozen=True)
class InvalidWorkspace:
    """A spec that cannot be read: nothing is granted, what exists is kept locked."""

    name: str
    uid: str
    problem: Check


def parse_workspace_spec(spec: dict[str, Any]) -> WorkspaceSpec:
    """The typed spec; InvalidSpec names each field the schema could not enforce."""
    try:
        return WorkspaceSpec.model_validate(spec)
    except ValidationError as exc:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidSpec(problems) from exc


def _members(spec: WorkspaceSpec) -> tuple[tuple[Member, ...], list[Check]]:
    members: list[Member] = [Member(user=spec.owner, role=Role.OWNER)]
    problems = []
    for member in spec.members:
        if member.user == spec.owner:
            if member.role is not Role.OWNER:
                problems.append(
                    Check(
                        "Members",
                        False,
                        "OwnerRoleConflict",
                        f"spec.members: {member.user} is the owner and cannot be listed as "
                        f"{member.role.value}; the entry is ignored (remove it or make it owner)",
                    )
                )
            continue
        members.append(member)
    return tuple(members), problems


def _approval(spec: WorkspaceSpec) -> str:
    if spec.approval is None:
        return AWAITING_APPROVAL
    return APPROVED if spec.approval.decision is Decision.APPROVED else REJECTED


def validate_workspace(
    name: str, spec: dict[str, Any], now: dt.datetime, profile: Size | None = None
) -> ValidWorkspace:
    """Check a Workspace's spec alone (no grants); raise InvalidSpec when it cannot be read.

    ``profile`` holds the sizes of the SizeProfile the spec names (read by dereference);
    None stands for the built-in defaults of ``Size``.
    """
    parsed = parse_workspace_spec(spec)
    if parsed.expires.tzinfo is None:
        raise InvalidSpec("spec.expires must carry a time zone, e.g. 2027-06-30T00:00:00Z")
    members, problems = _members(parsed)
    approval = _approval(parsed)
    effective = parsed if approval == APPROVED else parsed.model_copy(update={"suspended": True})
    return ValidWorkspace(
        name=name,
        spec=effective,
        members=members,
        expired=parsed.expires <= now,
        size=resolve_size(profile or Size(), parsed.size),
        problems=tuple(problems),
        approval=approval,
    )


def _grant_problem(name: str, check: Check) -> Check:
    return Check("Grants", False, check.reason, f"grant {name}: {check.message}")


def valid_grants(refs: Refs, now: dt.datetime) -> tuple[tuple[ValidGrant, ...], list[Check]]:
    """The grants in force, and a problem for each that should be but cannot: its dataset
    is invalid. Grants that are simply not in force (expired, made before the workspace,
    bound to a deleted one) report that on their own status, not here."""
    valid: list[ValidGrant] = []
    problems: list[Check] = []
    for grant in refs.grants:
        if read_from_elsewhere(grant, refs.provider):
            continue  # a workspace of that name at another provider reads it, not this one
        dataset = refs.datasets.get(grant.dataset)
        invalid = (
            dataset_problem(dataset, refs.peers.get(dataset.bucket, ()), refs.provider)
            if dataset is not None
            else None
        )
        state = grant_state(grant, refs.workspace.record, dataset, invalid, now)
        failure = state.failure
        if failure is not None:
            if failure.reason in INVALID_REASONS and not _ended(grant, now):
                problems.append(_grant_problem(grant.name, failure))
            continue
        assert grant.spec is not None and dataset is not None and dataset.spec is not None
        valid.append(
            ValidGrant(
                grant.name,
                grant.spec.dataset,
                grant.spec.legal_basis,
                grant.spec.expires,
                dataset.spec.bucket,
                dataset.spec.prefix,
            )
        )
    return tuple(valid), problems


def _ended(grant: GrantRecord, now: dt.datetime) -> bool:
    return grant.deleting or (grant.spec is not None and grant.spec.expires <= now)


def _profile(refs: Refs) -> tuple[Size | None, Check | None]:
    """The sizes of the profile the spec names, or the problem when it does not exist."""
    wanted = str(refs.workspace.spec.get("sizeProfile") or "standard")
    found = refs.profile
    if found is None:
        return None, Check(
            "Size",
            False,
            "SizeProfileNotFound",
            f"SizeProfile {wanted} does not exist (kubectl get sizeprofiles): nothing is sized "
            "or provisioned, access is kept as the spec says",
        )
    return found, None


def validate(refs: Refs, now: dt.datetime) -> ValidWorkspace | InvalidWorkspace:
    """The workspace as the renderers may trust it, or why it cannot be read."""
    ws_obj = refs.workspace
    profile, missing = _profile(refs)
    try:
        ws = validate_workspace(ws_obj.name, dict(ws_obj.spec), now, profile)
    except HavreError as exc:
        return InvalidWorkspace(
            ws_obj.name, ws_obj.uid, Check("Valid", False, exc.reason, str(exc))
        )
    grants, grant_problems = valid_grants(refs, now)
    return replace(
        ws,
        uid=ws_obj.uid,
        grants=grants,
        problems=(*ws.problems, *grant_problems, *([missing] if missing else [])),
        size_known=missing is None,
        provisioned=refs.provisioned,
    )
