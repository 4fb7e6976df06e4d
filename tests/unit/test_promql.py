"""The helpers that read PromQL for the observability tests."""

from __future__ import annotations

import pytest

from tests.integration.promql import measure, metric_names, substitute


def test_measure_puts_bool_after_the_outer_comparison_only() -> None:
    expr = 'min by (w) (havre_workspace_ready{reason!~"A|B", x=">"}) == 0'
    assert measure(expr) == 'min by (w) (havre_workspace_ready{reason!~"A|B", x=">"}) == bool 0'
    assert measure("max(a / b) > 0.9") == "max(a / b) > bool 0.9"
    assert measure("x < 14 * 86400") == "x < bool 14 * 86400"
    with pytest.raises(ValueError, match="no top-level comparison"):
        measure("sum(rate(x[5m]))")


def test_metric_names_skip_functions_labels_durations_and_grouping() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, system) (rate(havre_x_bucket{job="a b"}[5m]))) '
        "or on (system) sum by (system) (havre_y_total) * 0 > bool 1"
    )
    assert metric_names(expr) == {"havre_x_bucket", "havre_y_total"}
    assert metric_names(substitute('max(a{workspace="$workspace"}[$__rate_interval])', "w")) == {
        "a"
    }
