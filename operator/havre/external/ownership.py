"""Which Workspace an external resource belongs to, as the resource itself records it.

Names are reused; UIDs are not. Every bucket, object-store policy, catalog database and
role Havre creates records the UID of its Workspace (``names.OWNER_KEY``): a bucket tag, the
policy's ``ID``, a ``COMMENT``. Before touching a workspace's resources the operator reads
those records and ``claim`` decides: resources that record this workspace's UID, or that do
not exist yet, are its own; anything recorded for another UID, or existing without a record
(made before records existed), is someone else's retained data and is never adopted —
``NameRetained`` until an admin releases or purges it (``havre retained``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from havre.api.names import OWNER_KEY
from havre.errors import HavreError

#: The prefix of a policy ``ID`` or a comment that records an owner.
RECORD_PREFIX = f"{OWNER_KEY}="


class NameRetained(HavreError):
    """The name's external resources belong to another Workspace UID (kept by ``Retain``).
    Permanent: an admin decides (``havre retained release`` or ``purge``)."""

    reason = "NameRetained"


@dataclass(frozen=True)
class Recorded:
    """What one external resource says about its owner."""

    #: e.g. "bucket ws-cardio", for messages.
    what: str
    exists: bool
    #: The owner's UID; "" when the resource does not exist or records no owner.
    uid: str = ""


def record(uid: str) -> str:
    """The text that records ``uid`` (policy ``ID``, database and role comment)."""
    return f"{RECORD_PREFIX}{uid}"


def recorded_uid(text: str | None) -> str:
    """The UID a policy ``ID`` or comment records, or ""."""
    if text and text.startswith(RECORD_PREFIX):
        return text[len(RECORD_PREFIX) :]
    return ""


def claim(records: Iterable[Recorded], uid: str, workspace: str) -> None:
    """Return when the resources are ``uid``'s own or do not exist yet; raise
    ``NameRetained`` naming the first one that belongs to someone else."""
    records = list(records)
    foreign = next((r for r in records if r.exists and r.uid and r.uid != uid), None)
    if foreign is None and any(r.uid == uid for r in records):
        return
    if foreign is None:
        unrecorded = next((r for r in records if r.exists), None)
        if unrecorded is None:
            return  # nothing exists yet: this workspace creates it
        raise NameRetained(
            f"{unrecorded.what} exists but records no workspace: it is kept data of an "
            f"earlier workspace named {workspace}; an admin releases it to this workspace "
            f"(havre retained release {workspace}) or purges it (havre retained purge "
            f"{workspace})"
        )
    raise NameRetained(
        f"{foreign.what} belongs to an earlier workspace named {workspace} (uid "
        f"{foreign.uid}), kept by its Retain deletion policy; nothing of it is given to this "
        f"workspace until an admin releases it (havre retained release {workspace}) or "
        f"purges it (havre retained purge {workspace})"
    )
