"""What a dashboard panel is, independent of Grafana's JSON: its queries and its question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PanelKind = Literal["stat", "timeseries", "table", "bargauge"]


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel; ``instant`` for tables and single values."""

    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    kind: PanelKind
    queries: tuple[Query, ...]
    #: The question the panel answers (its description in Grafana and in the docs).
    answers: str
    unit: str = "short"
    width: int = 6
    height: int = 7
    #: Value → text, e.g. {"1": "Up", "0": "Down"}.
    mappings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    rows: tuple[Row, ...]
    #: Name of a query variable over workspace names, if the dashboard has one.
    workspace_variable: bool = False

    def panels(self) -> list[Panel]:
        return [p for row in self.rows for p in row.panels]


UP_DOWN = (("1", "Up"), ("0", "Down"))
READY = (("1", "Ready"), ("0", "Not Ready"))


def instant_panel(
    title: str,
    kind: PanelKind,
    expr: str,
    answers: str,
    *,
    legend: str = "",
    unit: str = "short",
    width: int = 6,
    mappings: tuple[tuple[str, str], ...] = (),
) -> Panel:
    """A panel of one query's value now: a single value, a bar gauge or a table."""
    return Panel(
        title,
        kind,
        (Query(expr, legend, instant=True),),
        answers,
        unit=unit,
        width=width,
        mappings=mappings,
    )


def timeseries_panel(
    title: str,
    answers: str,
    *lines: tuple[str, str],
    unit: str = "short",
    width: int = 6,
) -> Panel:
    """A panel of lines over time, one per (PromQL expression, legend)."""
    return Panel(
        title,
        "timeseries",
        tuple(Query(expr, legend) for expr, legend in lines),
        answers,
        unit=unit,
        width=width,
    )
