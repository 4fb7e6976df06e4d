"""Thin kopf handlers: read what kopf gives, run the pipeline, report what it returned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import kopf

from havre.kube.cluster import Cluster
from havre.pipeline.reconcile import Outcome, reconcile_workspace
from havre.settings import Settings


@dataclass(frozen=True)
class Context:
    """What every handler needs, handed over through kopf's memo."""

    cluster: Cluster
    settings: Settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _report(outcome: Outcome, body: kopf.Body, patch: kopf.Patch) -> None:
    if outcome.status_changed:
        patch.status.update(outcome.status)
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if outcome.retry_after is not None:
        ready = next(c for c in outcome.status["conditions"] if c["type"] == "Ready")
        raise kopf.TemporaryError(
            f"{ready['reason']}: {ready['message']}", delay=outcome.retry_after
        )


def reconcile(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Create, update and resume: bring the workspace to its spec."""
    ctx: Context = memo["ctx"]
    outcome = reconcile_workspace(ctx.cluster, ctx.settings, dict(body), _now())
    _report(outcome, body, patch)


def repair(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Timer: the same reconcile, which writes only where the cluster drifted."""
    reconcile(body=body, patch=patch, memo=memo)
