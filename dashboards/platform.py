"""The platform overview: is Havre healthy, what fails and why, what ends soon, who uses what."""

from __future__ import annotations

from dashboards.spec import (
    READY,
    UP_DOWN,
    Dashboard,
    Panel,
    Query,
    Row,
    instant_panel,
    timeseries_panel,
)

RATE = "$__rate_interval"

health = Row(
    "Health",
    (
        instant_panel(
            "Operator up",
            "stat",
            'max(up{job="havre-operator"})',
            "Is the operator running and answering Prometheus?",
            mappings=UP_DOWN,
            width=4,
        ),
        instant_panel(
            "Workspaces by Ready",
            "stat",
            'sum by (status) (havre_objects{kind="Workspace", condition="Ready"})',
            "How many workspaces are Ready, how many are not?",
            legend="Ready={{status}}",
            width=5,
        ),
        instant_panel(
            "Dataset grants by Ready",
            "stat",
            'sum by (status) (havre_objects{kind="DatasetGrant", condition="Ready"})',
            "How many dataset grants are in force, how many are not (waiting, expired)?",
            legend="Ready={{status}}",
            width=5,
        ),
        instant_panel(
            "External systems",
            "stat",
            "min by (system) (havre_external_system_up)",
            "Does each system the operator calls (Kubernetes, object store, catalog database) "
            "answer?",
            legend="{{system}}",
            mappings=UP_DOWN,
            width=10,
        ),
        instant_panel(
            "Workspaces not Ready",
            "table",
            "min by (workspace, reason) (havre_workspace_ready) == 0",
            "Which workspaces are not Ready, and why (the Ready condition's reason)?",
            mappings=READY,
            width=12,
        ),
        instant_panel(
            "Operator version",
            "table",
            "max by (version, kopf_version, python_version) (havre_build_info)",
            "Which Havre version runs, on which kopf and Python?",
            width=12,
        ),
    ),
)

reconciles = Row(
    "Reconciles",
    (
        timeseries_panel(
            "Reconciles by result",
            "How often are objects reconciled, and how do the reconciles end (ready, "
            "not_ready by intent, retry, error)?",
            (
                f"sum by (kind, result) (rate(havre_reconciles_total[{RATE}]))",
                "{{kind}} {{result}}",
            ),
            unit="ops",
            width=8,
        ),
        timeseries_panel(
            "Reconcile duration",
            "How long does one reconcile take (median and 95th percentile)?",
            *(
                (
                    f"histogram_quantile({q}, sum by (le, kind) "
                    f"(rate(havre_reconcile_duration_seconds_bucket[{RATE}])))",
                    f"{{{{kind}}}} p{int(q * 100)}",
                )
                for q in (0.5, 0.95)
            ),
            unit="s",
            width=8,
        ),
        timeseries_panel(
            "Reconcile errors by reason",
            "Which errors do reconciles hit, and how often?",
            (
                f"sum by (kind, reason) (rate(havre_reconcile_errors_total[{RATE}]))",
                "{{kind}} {{reason}}",
            ),
            unit="ops",
            width=8,
        ),
        timeseries_panel(
            "Queue depth",
            "Is work piling up (reconciles started and not finished), and how many expiries "
            "are scheduled?",
            ("sum by (kind) (havre_reconciles_in_flight)", "{{kind}} in flight"),
            ("max(havre_scheduled_expiries)", "expiry timers armed"),
            width=12,
        ),
        # Two values now, one per quantile: the one panel of more than one instant query.
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
        timeseries_panel(
            "Calls by system",
            "How many calls does the operator make to each system?",
            (
                f"sum by (system) (rate(havre_external_requests_total[{RATE}]))",
                "{{system}}",
            ),
            unit="reqps",
            width=8,
        ),
        timeseries_panel(
            "Failed calls by system",
            "Which system refuses or fails the operator's calls, and how often?",
            (
                # Zero for systems without errors, rather than no line at all.
                f"sum by (system) (rate(havre_external_request_errors_total[{RATE}])) "
                f"or sum by (system) (rate(havre_external_requests_total[{RATE}])) * 0",
                "{{system}}",
            ),
            unit="reqps",
            width=8,
        ),
        timeseries_panel(
            "Call latency p95",
            "How slow is each system to answer (95th percentile)?",
            (
                "histogram_quantile(0.95, sum by (le, system) "
                f"(rate(havre_external_request_duration_seconds_bucket[{RATE}])))",
                "{{system}}",
            ),
            unit="s",
            width=8,
        ),
    ),
)

access = Row(
    "Access and expiry",
    (
        timeseries_panel(
            "Revocations",
            "How much access was withdrawn in the last hour, and why (expired, deleted, "
            "suspended)?",
            (
                "sum by (kind, cause) (increase(havre_revocations_total[1h]))",
                "{{kind}} {{cause}}",
            ),
            width=8,
        ),
        instant_panel(
            "Revocation delay p95",
            "stat",
            "histogram_quantile(0.95, sum by (le, cause) "
            "(increase(havre_revocation_delay_seconds_bucket[1d])))",
            "Once access had to end, how long until it was withdrawn (last day)?",
            legend="{{cause}}",
            unit="s",
            width=8,
        ),
        timeseries_panel(
            "Drift repairs",
            "What did the periodic repair have to put back in the last hour (someone or "
            "something changed it outside Havre)?",
            (
                "sum by (system, resource) (increase(havre_drift_repairs_total[1h]))",
                "{{system}} {{resource}}",
            ),
            width=8,
        ),
        instant_panel(
            "Grants ending within 30 days",
            "table",
            "sort(min by (grant, workspace, dataset) (havre_grant_expiry_seconds) < 30 * 86400)",
            "Which dataset grants end soon, so their steward can renew them or not?",
            unit="dtdurations",
            width=12,
        ),
        instant_panel(
            "Workspaces ending within 30 days",
            "table",
            "sort(min by (workspace) (havre_workspace_expiry_seconds) < 30 * 86400)",
            "Which workspaces' authorisations end soon?",
            unit="dtdurations",
            width=12,
        ),
    ),
)

usage = Row(
    "Usage",
    (
        timeseries_panel(
            "Storage used, top 10 workspaces",
            "Which workspaces store the most data?",
            (
                "topk(10, max by (workspace) (havre_workspace_storage_used_bytes))",
                "{{workspace}}",
            ),
            unit="bytes",
            width=8,
        ),
        instant_panel(
            "Bucket fill",
            "bargauge",
            "topk(10, max by (workspace) (havre_workspace_storage_used_bytes "
            "/ havre_workspace_storage_quota_bytes))",
            "Which buckets are close to their quota (writes are refused when full)?",
            legend="{{workspace}}",
            unit="percentunit",
            width=8,
        ),
        instant_panel(
            "Requested CPU, all workspaces",
            "stat",
            "sum(havre_workspace_requested_cpu_cores)",
            "How many CPU cores do all workspaces' query engines request?",
            width=4,
        ),
        instant_panel(
            "Requested memory, all workspaces",
            "stat",
            "sum(havre_workspace_requested_memory_bytes)",
            "How much memory do all workspaces' query engines request?",
            unit="bytes",
            width=4,
        ),
        timeseries_panel(
            "Operator memory",
            "How much memory does the operator itself use?",
            ('max(process_resident_memory_bytes{job="havre-operator"})', "resident"),
            unit="bytes",
            width=12,
        ),
        timeseries_panel(
            "Operator CPU",
            "How much CPU does the operator itself use?",
            (
                f'max(rate(process_cpu_seconds_total{{job="havre-operator"}}[{RATE}]))',
                "cores",
            ),
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
