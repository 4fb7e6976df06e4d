"""One workspace: is it Ready, when does it end, what does it store and request, which
dataset grants it holds."""

from __future__ import annotations

from dashboards.spec import READY, Dashboard, Panel, Query, Row

WS = 'workspace="$workspace"'

state = Row(
    "State",
    (
        Panel(
            "Ready",
            "stat",
            (
                Query(
                    f"max by (reason) (havre_workspace_ready{{{WS}}})", "{{reason}}", instant=True
                ),
            ),
            "Is the workspace Ready, and if not, what is missing (the reason)?",
            mappings=READY,
            width=6,
        ),
        Panel(
            "Authorisation ends in",
            "stat",
            (Query(f"min(havre_workspace_expiry_seconds{{{WS}}})", instant=True),),
            "How long until the workspace's authorisation ends and its members lose access?",
            unit="dtdurations",
            width=6,
        ),
        Panel(
            "Requested CPU",
            "stat",
            (Query(f"sum(havre_workspace_requested_cpu_cores{{{WS}}})", instant=True),),
            "How many CPU cores does its query engine request (0 when suspended or expired)?",
            width=6,
        ),
        Panel(
            "Requested memory",
            "stat",
            (Query(f"sum(havre_workspace_requested_memory_bytes{{{WS}}})", instant=True),),
            "How much memory does its query engine request?",
            unit="bytes",
            width=6,
        ),
    ),
)

storage = Row(
    "Storage",
    (
        Panel(
            "Bucket used and quota",
            "timeseries",
            (
                Query(f"max(havre_workspace_storage_used_bytes{{{WS}}})", "used"),
                Query(f"max(havre_workspace_storage_quota_bytes{{{WS}}})", "quota"),
            ),
            "How much does the workspace store, against its quota?",
            unit="bytes",
            width=12,
        ),
        Panel(
            "Share of quota",
            "bargauge",
            (
                Query(
                    f"max(havre_workspace_storage_used_bytes{{{WS}}} "
                    f"/ havre_workspace_storage_quota_bytes{{{WS}}})",
                    "used",
                    instant=True,
                ),
            ),
            "How full is the bucket (writes are refused at 100 %)?",
            unit="percentunit",
            width=6,
        ),
        Panel(
            "Objects",
            "stat",
            (Query(f"max(havre_workspace_storage_objects{{{WS}}})", instant=True),),
            "How many objects does the bucket hold?",
            width=6,
        ),
    ),
)

grants = Row(
    "Dataset grants",
    (
        Panel(
            "Grants and their state",
            "table",
            (
                Query(
                    f"max by (grant, dataset, reason) (havre_grant_ready{{{WS}}})",
                    instant=True,
                ),
            ),
            "Which datasets is the workspace granted, and is each grant in force?",
            mappings=READY,
            width=12,
        ),
        Panel(
            "Grants end in",
            "table",
            (
                Query(
                    f"sort(min by (grant, dataset) (havre_grant_expiry_seconds{{{WS}}}))",
                    instant=True,
                ),
            ),
            "When does each of its dataset grants end?",
            unit="dtdurations",
            width=12,
        ),
    ),
)

WORKSPACE = Dashboard(
    uid="havre-workspace",
    title="Havre / Workspace",
    description="One workspace: state, end of authorisation, storage, compute and grants.",
    rows=(state, storage, grants),
    workspace_variable=True,
)
