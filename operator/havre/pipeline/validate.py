"""Pure checks of what the API server's schema cannot say, producing the renderers' input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from havre.api.model import Member, Role, Size, WorkspaceSpec, resolve_size
from havre.errors import InvalidSpec


@dataclass(frozen=True)
class ValidWorkspace:
    """A workspace the renderers can trust: parsed, checked, with its effective members."""

    name: str
    spec: WorkspaceSpec
    #: The owner first, as an owner, then the other members in spec order.
    members: tuple[Member, ...]
    expired: bool
    #: The effective size: the size profile's values with ``spec.size``'s overrides.
    size: Size


def parse_workspace_spec(spec: dict[str, Any]) -> WorkspaceSpec:
    """The typed spec; InvalidSpec names each field the schema could not enforce."""
    try:
        return WorkspaceSpec.model_validate(spec)
    except ValidationError as exc:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidSpec(problems) from exc


def validate_workspace(
    name: str, spec: dict[str, Any], now: dt.datetime, profile: Size | None = None
) -> ValidWorkspace:
    """Check a Workspace's spec; raise InvalidSpec with a message naming the field.

    ``profile`` holds the sizes of the SizeProfile the spec names (read by dereference);
    None stands for the built-in defaults of ``Size``.
    """
    parsed = parse_workspace_spec(spec)
    if parsed.expires.tzinfo is None:
        raise InvalidSpec("spec.expires must carry a time zone, e.g. 2027-06-30T00:00:00Z")
    members: list[Member] = [Member(user=parsed.owner, role=Role.OWNER)]
    for member in parsed.members:
        if member.user == parsed.owner:
            if member.role is not Role.OWNER:
                raise InvalidSpec(
                    f"spec.members: {member.user} is the owner and cannot be listed as "
                    f"{member.role.value}; remove the entry or make it owner",
                    reason="OwnerRoleConflict",
                )
            continue
        members.append(member)
    return ValidWorkspace(
        name=name,
        spec=parsed,
        members=tuple(members),
        expired=parsed.expires <= now,
        size=resolve_size(profile or Size(), parsed.size),
    )
