"""The platform overview: is Havre healthy, what fails and why, what ends soon, who uses what."""

from __future__ import annotations

from dashboards.spec import READY, UP_DOWN, Dashboard, Panel, Query, Row

RATE = "$__rate_interval"

health = Row(
    "Health",
    (
        Panel(
            "Operator up",
            "stat",
            (Query('max(up{job="havre-operator"})', instant=True),),
            "Is the operator running and answering Prometheus?",
            mappings=UP_DOWN,
            width=4,
        ),
        Panel(
            "Workspaces by Ready",
            "stat",
            (
                Query(
                    'sum by (status) (havre_objects{kind="Workspace", condition="Ready"})',
                    "Ready={{status}}",
                    instant=True,
                ),
            ),
            "How many workspaces are Ready, how many are not?",
            width=5,
        ),
        Panel(
            "Dataset grants by Ready",
            "stat",
            (
                Query(
                    'sum by (status) (havre_objects{kind="DatasetGrant", condition="Ready"})',
                    "Ready={{status}}",
                    instant=True,
                ),
            ),
            "How many dataset grants are in force, how many are not (waiting, expired)?",
            width=5,
        ),
        Panel(
            "External systems",
            "stat",
            (Query("min by (system) (havre_external_system_up)", "{{system}}", instant=True),),
            "Does each system the operator calls (Kubernetes, object store, catalog database) "
            "answer?",
            mappings=UP_DOWN,
            width=10,
        ),
        Panel(
            "Workspaces not Ready",
            "table",
            (Query("min by (workspace, reason) (havre_workspace_ready) == 0", instant=True),),
            "Which workspaces are not Ready, and why (the Ready condition's reason)?",
            mappings=READY,
            width=12,
        ),
        Panel(
            "Operator version",
            "table",
            (
                Query(
                    "max by (version, kopf_version, python_version) (havre_build_info)",
                    instant=True,
                ),
            ),
            "Which Havre version runs, on which kopf and Python?",
            width=12,
        ),
    ),
)

reconciles = Row(
    "Reconciles",
    (
        Panel(
            "Reconciles by result",
            "timeseries",
            (
                Query(
                    f"sum by (kind, result) (rate(havre_reconciles_total[{RATE}]))",
                    "{{kind}} {{result}}",
                ),
            ),
            "How often are objects reconciled, and how do the reconciles end (ready, "
            "not_ready by intent, retry, error)?",
            unit="ops",
            width=8,
        ),
        Panel(
            "Reconcile duration",
            "timeseries",
            tuple(
                Query(
                    f"histogram_quantile({q}, sum by (le, kind) "
                    f"(rate(havre_reconcile_duration_seconds_bucket[{RATE}])))",
                    f"{{{{kind}}}} p{int(q * 100)}",
                )
                for q in (0.5, 0.95)
            ),
            "How long does one reconcile take (median and 95th percentile)?",
            unit="s",
            width=8,
        ),
        Panel(
            "Reconcile errors by reason",
            "timeseries",
            (
                Query(
                    f"sum by (kind, reason) (rate(havre_reconcile_errors_total[{RATE}]))",
                    "{{kind}} {{reason}}",
                ),
            ),
            "Which errors do reconciles hit, and how often?",
            unit="ops",
            width=8,
        ),
        Panel(
            "Queue depth",
            "timeseries",
            (
                Query("sum by (kind) (havre_reconciles_in_flight)", "{{kind}} in flight"),
                Query("max(havre_scheduled_expiries)", "expiry timers armed"),
            ),
            "Is work piling up (reconciles started and not finished), and how many expiries "
            "are scheduled?",
            width=12,
        ),
        Panel(
            "Time to first Ready",
            "stat",
            tuple(
                Query(
                    f"histogram_quantile({q}, sum by (le, kind) "
                    "(increase(havre_time_to_ready_seconds_bucket[1d])))",
                    f"{{{{kind}}}} p{int(q * 100)}",
                    instant=True,
                )
                for q in (0.5, 0.95)
            ),
            "How long after its creation does a new object first become Ready (last day)?",
            unit="s",
            width=12,
        ),
    ),
)

external = Row(
    "External systems",
    (
        Panel(
            "Calls by system",
            "timeseries",
            (
                Query(
                    f"sum by (system) (rate(havre_external_requests_total[{RATE}]))",
                    "{{system}}",
                ),
            ),
            "How many calls does the operator make to each system?",
            unit="reqps",
            width=8,
        ),
        Panel(
            "Failed calls by system",
            "timeseries",
            (
                # Zero for systems without errors, rather than no line at all.
                Query(
                    f"sum by (system) (rate(havre_external_request_errors_total[{RATE}])) "
                    f"or sum by (system) (rate(havre_external_requests_total[{RATE}])) * 0",
                    "{{system}}",
                ),
            ),
            "Which system refuses or fails the operator's calls, and how often?",
            unit="reqps",
            width=8,
        ),
        Panel(
            "Call latency p95",
            "timeseries",
            (
                Query(
                    "histogram_quantile(0.95, sum by (le, system) "
                    f"(rate(havre_external_request_duration_seconds_bucket[{RATE}])))",
                    "{{system}}",
                ),
            ),
            "How slow is each system to answer (95th percentile)?",
            unit="s",
            width=8,
        ),
    ),
)

access = Row(
    "Access and expiry",
    (
        Panel(
            "Revocations",
            "timeseries",
            (
                Query(
                    "sum by (kind, cause) (increase(havre_revocations_total[1h]))",
                    "{{kind}} {{cause}}",
                ),
            ),
            "How much access was withdrawn in the last hour, and why (expired, deleted, "
            "suspended)?",
            width=8,
        ),
        Panel(
            "Revocation delay p95",
            "stat",
            (
                Query(
                    "histogram_quantile(0.95, sum by (le, cause) "
                    "(increase(havre_revocation_delay_seconds_bucket[1d])))",
                    "{{cause}}",
                    instant=True,
                ),
            ),
            "Once access had to end, how long until it was withdrawn (last day)?",
            unit="s",
            width=8,
        ),
        Panel(
            "Drift repairs",
            "timeseries",
            (
                Query(
                    "sum by (system, resource) (increase(havre_drift_repairs_total[1h]))",
                    "{{system}} {{resource}}",
                ),
            ),
            "What did the periodic repair have to put back in the last hour (someone or "
            "something changed it outside Havre)?",
            width=8,
        ),
        Panel(
            "Grants ending within 30 days",
            "table",
            (
                Query(
                    "sort(min by (grant, workspace, dataset) (havre_grant_expiry_seconds) "
                    "< 30 * 86400)",
                    instant=True,
                ),
            ),
            "Which dataset grants end soon, so their steward can renew them or not?",
            unit="dtdurations",
            width=12,
        ),
        Panel(
            "Workspaces ending within 30 days",
            "table",
            (
                Query(
                    "sort(min by (workspace) (havre_workspace_expiry_seconds) < 30 * 86400)",
                    instant=True,
                ),
            ),
            "Which workspaces' authorisations end soon?",
            unit="dtdurations",
            width=12,
        ),
    ),
)

usage = Row(
    "Usage",
    (
        Panel(
            "Storage used, top 10 workspaces",
            "timeseries",
            (
                Query(
                    "topk(10, max by (workspace) (havre_workspace_storage_used_bytes))",
                    "{{workspace}}",
                ),
            ),
            "Which workspaces store the most data?",
            unit="bytes",
            width=8,
        ),
        Panel(
            "Bucket fill",
            "bargauge",
            (
                Query(
                    "topk(10, max by (workspace) (havre_workspace_storage_used_bytes "
                    "/ havre_workspace_storage_quota_bytes))",
                    "{{workspace}}",
                    instant=True,
                ),
            ),
            "Which buckets are close to their quota (writes are refused when full)?",
            unit="percentunit",
            width=8,
        ),
        Panel(
            "Requested CPU, all workspaces",
            "stat",
            (Query("sum(havre_workspace_requested_cpu_cores)", instant=True),),
            "How many CPU cores do all workspaces' query engines request?",
            width=4,
        ),
        Panel(
            "Requested memory, all workspaces",
            "stat",
            (Query("sum(havre_workspace_requested_memory_bytes)", instant=True),),
            "How much memory do all workspaces' query engines request?",
            unit="bytes",
            width=4,
        ),
        Panel(
            "Operator memory",
            "timeseries",
            (Query('max(process_resident_memory_bytes{job="havre-operator"})', "resident"),),
            "How much memory does the operator itself use?",
            unit="bytes",
            width=12,
        ),
        Panel(
            "Operator CPU",
            "timeseries",
            (
                Query(
                    f'max(rate(process_cpu_seconds_total{{job="havre-operator"}}[{RATE}]))',
                    "cores",
                ),
            ),
            "How much CPU does the operator itself use?",
            width=12,
        ),
    ),
)

PLATFORM = Dashboard(
    uid="havre-platform",
    title="Havre / Platform",
    description="Health of the Havre operator and of every workspace and dataset grant.",
    rows=(health, reconciles, external, access, usage),
)
