"""The metrics each workspace's Trino serves itself, at ``/metrics`` on its coordinator.

Not the operator's: the coordinator exports the QueryManager bean
(``trino_config.METRICS_BEANS``) and Prometheus scrapes it as job ``havre-trino``, keeps
only the series below, relabels the namespace to ``workspace`` and drops every other label
(docs/observability.md). Names are what Trino 476 (airlift's OpenMetrics) makes of a bean
named in ``openmetrics.jmx-object-names``: ``JMX_<domain>_NAME_<bean>_ATTRIBUTE_<attribute>``.
Trino also serves some 5,000 other series by default (HTTP clients, planner, scheduler…):
the scrape drops them, so a workspace costs Prometheus a handful of series. The
integration test checks each name here is scraped from a real Trino after a query.
"""

from __future__ import annotations

#: The scrape job; dashboards select it, the chart's PodMonitor and devstack set it.
TRINO_JOB = "havre-trino"
#: Labels a Trino series keeps: where it comes from and the workspace; nothing else.
TRINO_LABELS = ("job", "instance", "workspace")

_PREFIX = "JMX_trino_execution_NAME_QueryManager_ATTRIBUTE_"
COMPLETED = f"{_PREFIX}CompletedQueries_TotalCount"
FAILED = f"{_PREFIX}FailedQueries_TotalCount"
CPU = f"{_PREFIX}ConsumedCpuTimeSecs_TotalCount"
RUNNING = f"{_PREFIX}RunningQueries"
QUEUED = f"{_PREFIX}QueuedQueries"

#: Name -> (type, meaning), as docs/observability.md lists them.
TRINO_METRICS = {
    COMPLETED: ("counter", "queries that finished, successful or not"),
    FAILED: ("counter", "queries that failed (user errors included)"),
    CPU: ("counter", "CPU seconds that finished queries consumed, on all the nodes"),
    RUNNING: ("gauge", "queries running now"),
    QUEUED: ("gauge", "queries waiting to run"),
}


def keep_regex() -> str:
    """The metric relabelling that keeps exactly these series (``action: keep`` on
    ``__name__``); the chart's PodMonitor writes the same (test_chart_checks)."""
    attributes = sorted(name.removeprefix(_PREFIX) for name in TRINO_METRICS)
    return f"{_PREFIX}({'|'.join(attributes)})"
