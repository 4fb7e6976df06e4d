"""kopf event handlers that keep the in-memory view in step with the watch stream.

They run on the operator's event loop for every event kopf already receives for
Workspaces and DatasetGrants (no extra watch, no API call) and only update the view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import kopf

from havre.metrics.view import VIEW, View, object_view


def observe_event(
    kind: str, event_type: str | None, body: Any, *, query_engine: bool, view: View = VIEW
) -> None:
    """Put the object in the view, or take it out when it is gone."""
    name = str(body.get("metadata", {}).get("name", ""))
    if event_type == "DELETED":
        view.remove(kind, name)
        return
    view.put(object_view(kind, body, dt.datetime.now(dt.UTC), query_engine=query_engine))


async def on_workspace_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    engine = memo["ctx"].platform.settings.trino is not None
    observe_event("Workspace", type, body, query_engine=engine)


async def on_grant_event(type: str | None, body: kopf.Body, **_: Any) -> None:
    observe_event("DatasetGrant", type, body, query_engine=False)
