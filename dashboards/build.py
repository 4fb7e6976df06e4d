"""Grafana dashboard JSON from the panel specs, through grafana-foundation-sdk's builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from dashboards.platform import PLATFORM
from dashboards.spec import Dashboard, Panel
from dashboards.workspace import WORKSPACE

DASHBOARDS = (PLATFORM, WORKSPACE)
OUT = Path(__file__).resolve().parents[1] / "charts" / "havre" / "files" / "dashboards"
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
_PANELS: dict[str, Any] = {
    "stat": stat.Panel,
    "timeseries": timeseries.Panel,
    "table": table.Panel,
    "bargauge": bargauge.Panel,
}


def _panel(spec: Panel, panel_id: int) -> Any:
    builder = (
        _PANELS[spec.kind]()
        .id(panel_id)
        .title(spec.title)
        .description(spec.answers)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .height(spec.height)
        .span(spec.width)
    )
    if spec.mappings:
        options = {value: model.ValueMappingResult(text=text) for value, text in spec.mappings}
        builder = builder.mappings([model.ValueMap(options=options)])
    for index, query in enumerate(spec.queries):
        target = (
            prom.Dataquery()
            .expr(query.expr)
            .legend_format(query.legend)
            .ref_id(chr(ord("A") + index))
            .datasource(DATASOURCE)
        )
        if query.instant:
            table_like = spec.kind == "table"
            target = target.instant().format(
                PromQueryFormat.TABLE if table_like else PromQueryFormat.TIME_SERIES
            )
        builder = builder.with_target(target)
    return builder


def _variables(spec: Dashboard) -> list[Any]:
    variables: list[Any] = [
        board.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
    ]
    if spec.workspace_variable:
        variables.append(
            board.QueryVariable("workspace")
            .label("Workspace")
            .datasource(DATASOURCE)
            .query(
                {
                    "qryType": 1,
                    "query": "label_values(havre_workspace_ready, workspace)",
                    "refId": "PrometheusVariableQueryEditor-VariableQuery",
                }
            )
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(model.VariableSort.ALPHABETICAL_ASC)
        )
    return variables


def render(spec: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model (a plain dict, keys sorted when dumped)."""
    builder = (
        board.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(["havre"])
        .editable()
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
    )
    for variable in _variables(spec):
        builder = builder.with_variable(variable)
    panel_id = 0
    for row in spec.rows:
        panel_id += 1
        builder = builder.with_row(board.Row(row.title).id(panel_id))
        for panel in row.panels:
            panel_id += 1
            builder = builder.with_panel(_panel(panel, panel_id))
    encoded = JSONEncoder(sort_keys=True).encode(builder.build())
    loaded: dict[str, Any] = json.loads(encoded)
    return loaded


def dumps(spec: Dashboard) -> str:
    return json.dumps(render(spec), indent=2, sort_keys=True) + "\n"


def path(spec: Dashboard) -> Path:
    return OUT / f"{spec.uid}.json"


def write() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in DASHBOARDS:
        path(spec).write_text(dumps(spec))
        written.append(path(spec))
    return written
