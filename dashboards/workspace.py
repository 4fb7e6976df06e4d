"""One workspace: is it Ready, when does it end, what does it store and request, how much
its Trino computes, which dataset grants it holds."""

from __future__ import annotations

from dashboards.spec import READY, Dashboard, Row, instant_panel, timeseries_panel
from havre.metrics.trino import COMPLETED as TRINO_COMPLETED
from havre.metrics.trino import CPU as TRINO_CPU
from havre.metrics.trino import FAILED as TRINO_FAILED
from havre.metrics.trino import QUEUED as TRINO_QUEUED
from havre.metrics.trino import RUNNING as TRINO_RUNNING

WS = 'workspace="$workspace"'

state = Row(
    "State",
    (
        instant_panel(
            "Ready",
            "stat",
            f"max by (reason) (havre_workspace_ready{{{WS}}})",
            "Is the workspace Ready, and if not, what is missing (the reason)?",
            legend="{{reason}}",
            mappings=READY,
        ),
        instant_panel(
            "Authorisation ends in",
            "stat",
            f"min(havre_workspace_expiry_seconds{{{WS}}})",
            "How long until the workspace's authorisation ends and its members lose access?",
            unit="dtdurations",
        ),
        instant_panel(
            "Requested CPU",
            "stat",
            f"sum(havre_workspace_requested_cpu_cores{{{WS}}})",
            "How many CPU cores does its query engine request (0 when suspended or expired)?",
        ),
        instant_panel(
            "Requested memory",
            "stat",
            f"sum(havre_workspace_requested_memory_bytes{{{WS}}})",
            "How much memory does its query engine request?",
            unit="bytes",
        ),
    ),
)

storage = Row(
    "Storage",
    (
        timeseries_panel(
            "Bucket used and quota",
            "How much does the workspace store, against its quota?",
            (f"max(havre_workspace_storage_used_bytes{{{WS}}})", "used"),
            (f"max(havre_workspace_storage_quota_bytes{{{WS}}})", "quota"),
            unit="bytes",
            width=12,
        ),
        instant_panel(
            "Share of quota",
            "bargauge",
            f"max(havre_workspace_storage_used_bytes{{{WS}}} "
            f"/ havre_workspace_storage_quota_bytes{{{WS}}})",
            "How full is the bucket (writes are refused at 100 %)?",
            legend="used",
            unit="percentunit",
        ),
        instant_panel(
            "Objects",
            "stat",
            f"max(havre_workspace_storage_objects{{{WS}}})",
            "How many objects does the bucket hold?",
        ),
    ),
)

# Trino's own metrics: each workspace's coordinator, job havre-trino (havre.metrics.trino).

queries = Row(
    "Queries",
    (
        timeseries_panel(
            "Queries run",
            "How many queries do its members run, how many fail, how many run or wait now?",
            (f"sum(rate({TRINO_COMPLETED}{{{WS}}}[$__rate_interval])) * 60", "finished / min"),
            (f"sum(rate({TRINO_FAILED}{{{WS}}}[$__rate_interval])) * 60", "failed / min"),
            (f"sum({TRINO_RUNNING}{{{WS}}})", "running"),
            (f"sum({TRINO_QUEUED}{{{WS}}})", "queued"),
            width=9,
        ),
        timeseries_panel(
            "Trino CPU time",
            "How much CPU do its queries consume (cores busy on average)?",
            (f"sum(rate({TRINO_CPU}{{{WS}}}[$__rate_interval]))", "cores"),
            width=9,
        ),
        instant_panel(
            "Queries, last day",
            "stat",
            f"sum(increase({TRINO_COMPLETED}{{{WS}}}[1d]))",
            "How many queries finished in the last 24 hours?",
            width=3,
        ),
        instant_panel(
            "CPU time, last day",
            "stat",
            f"sum(increase({TRINO_CPU}{{{WS}}}[1d]))",
            "How much CPU time did its queries use in the last 24 hours?",
            unit="s",
            width=3,
        ),
    ),
)

grants = Row(
    "Dataset grants",
    (
        instant_panel(
            "Grants and their state",
            "table",
            f"max by (grant, dataset, reason) (havre_grant_ready{{{WS}}})",
            "Which datasets is the workspace granted, and is each grant in force?",
            mappings=READY,
            width=12,
        ),
        instant_panel(
            "Grants end in",
            "table",
            f"sort(min by (grant, dataset) (havre_grant_expiry_seconds{{{WS}}}))",
            "When does each of its dataset grants end?",
            unit="dtdurations",
            width=12,
        ),
    ),
)

WORKSPACE = Dashboard(
    uid="havre-workspace",
    title="Havre / Workspace",
    description="One workspace: state, end of authorisation, storage, compute, queries and grants.",
    rows=(state, storage, queries, grants),
    workspace_variable=True,
)
