"""One level-based reconcile of a Workspace, as five typed steps:

    dereference (reads) → validate (pure) → render (pure) → apply (writes) → status (pure)

``Refs`` → ``ValidWorkspace | InvalidWorkspace`` → ``Desired`` → ``Applied`` →
``WorkspaceStatus``; each made by one module. Only ``dereference`` and ``apply`` need clients.
Fail closed by construction: validate leaves an invalid member or grant out (and reports
it) instead of failing the workspace; apply removes access first, each system on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from havre.pipeline.apply import Applied, apply_desired
from havre.pipeline.apply_audit import SpecChange, record_decisions, workspace_decisions
from havre.pipeline.dereference import Refs, dereference
from havre.pipeline.events import Event, workspace_events
from havre.pipeline.platform import Platform as Platform
from havre.pipeline.records import Catalogue
from havre.pipeline.render.desired import Desired, render_desired
from havre.pipeline.status import WorkspaceStatus, workspace_status
from havre.pipeline.validate import InvalidWorkspace, ValidWorkspace, validate


@dataclass(frozen=True)
class Outcome:
    """What the handler must do after a reconcile: write status, post events, retry."""

    status: dict[str, Any]
    #: The merge patch to write (None: the status is unchanged, write nothing).
    patch: dict[str, Any] | None
    events: list[Event] = field(default_factory=list)
    #: True when a temporary failure (a dependency down) should be retried with backoff.
    retry: bool = False
    applied: Applied = field(default_factory=Applied)
    validated: ValidWorkspace | InvalidWorkspace | None = None
    desired: Desired | None = None
    refs: Refs | None = None

    @property
    def status_changed(self) -> bool:
        return self.patch is not None

    @property
    def changes(self) -> list[str]:
        """What this run changed on external systems and in the cluster."""
        return self.applied.changes

    @property
    def external_changes(self) -> list[str]:
        """What this run changed on the object store, the catalog database and the identity
        provider."""
        systems = self.applied.systems
        kinds = [k for k in ("Storage", "Catalog", "Identity") if k in systems]
        return [c for kind in kinds for c in systems[kind].changes]

    @property
    def clean(self) -> bool:
        """Whether every system answered and nothing is left to retry: then a repair tick
        may trust this run until the inputs change (``ledger.py``)."""
        report = self.applied.report
        return (
            not self.retry
            and self.refs is not None
            and self.refs.material.readable
            and all(r.error is None for r in self.applied.systems.values())
            and (report is None or not report.failed)
        )


def reconcile_workspace(
    platform: Platform,
    body: Mapping[str, Any],
    catalogue: Catalogue,
    now: dt.datetime,
    change: SpecChange | None = None,
) -> Outcome:
    """Run the five steps on one Workspace object as read from the API server.
    ``change``: the spec change that woke it, if any (its decisions go to the trail)."""
    refs = dereference(platform, body, catalogue, now)
    validated = validate(refs, now)
    desired = render_desired(validated, refs.material, platform.settings, platform.trino_ca_bundle)
    applied = apply_desired(platform, desired, new_namespace=refs.new_namespace)
    status: WorkspaceStatus = workspace_status(
        refs.workspace.name,
        refs.workspace.generation,
        refs.workspace.status,
        validated,
        desired,
        applied,
        now,
    )
    # After the writes, never before them: queuing on the trail cannot fail nor wait.
    record_decisions(
        platform.audit,
        workspace_decisions(change, body, refs.workspace.status, status.status, now),
    )
    return Outcome(
        status=status.status,
        patch=status.patch,
        events=workspace_events(
            refs.workspace.status, status.conditions, [*refs.opened, *applied.changes]
        ),
        retry=status.retry,
        applied=applied,
        validated=validated,
        desired=desired,
        refs=refs,
    )
