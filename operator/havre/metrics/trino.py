"""The metrics each workspace's Trino serves itself, at ``/metrics`` on its coordinator.

Not the operator's: the coordinator exports them (``trino_config.METRICS_BEANS``) and
Prometheus scrapes them as job ``havre-trino``, relabelling the namespace to ``workspace``
and dropping every other label (docs/observability.md). Names are airlift's OpenMetrics
names of the beans' attributes (``<domain>_name_<bean>_<attribute>_<field>``); the
integration test checks each one is scraped from a real Trino after a query.
"""

from __future__ import annotations

#: The scrape job; dashboards select it, the chart's PodMonitor and devstack set it.
TRINO_JOB = "havre-trino"
#: Labels a Trino series keeps: where it comes from and the workspace; nothing else.
TRINO_LABELS = ("job", "instance", "workspace")

COMPLETED = "trino_execution_name_QueryManager_CompletedQueries_TotalCount"
FAILED = "trino_execution_name_QueryManager_FailedQueries_TotalCount"
CPU = "trino_execution_name_QueryManager_ConsumedCpuTimeSecs_TotalCount"

#: Name -> (type, meaning), as docs/observability.md lists them.
TRINO_METRICS = {
    COMPLETED: (
        "counter",
        "queries that finished, successful or not, since the coordinator started",
    ),
    FAILED: ("counter", "queries that failed (user errors included)"),
    CPU: ("counter", "CPU seconds that finished queries consumed, on all nodes"),
}
