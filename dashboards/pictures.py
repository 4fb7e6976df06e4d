"""Pictures of the dashboards for the docs: each panel's own PromQL, asked of a real
Prometheus, plotted with matplotlib at the panel's place on Grafana's 24-column grid.

    python -m dashboards.pictures --prometheus http://127.0.0.1:9090 --workspace cardio

Grafana itself is not run: the pictures show the data each panel would show, not Grafana's
styling. Writes ``docs/images/dashboard-<uid>.png`` and prints each panel's series count.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import matplotlib
import requests

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.build import DASHBOARDS, path

ROOT = Path(__file__).resolve().parents[1]
CELL_W, CELL_H = 0.62, 0.42  # inches per grid column and per grid row


def _human(value: float, unit: str) -> str:
    if value != value:  # NaN: no observation in the window
        return "n/a"
    if unit == "bytes":
        for suffix in ("B", "KiB", "MiB", "GiB", "TiB"):
            if abs(value) < 1024 or suffix == "TiB":
                return f"{value:.3g} {suffix}"
            value /= 1024
    if unit in ("s", "dtdurations"):
        for size, suffix in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
            if abs(value) >= size or suffix == "s":
                return f"{value / size:.3g} {suffix}"
    if unit == "percentunit":
        return f"{value * 100:.3g} %" if value == 0 or value >= 1e-4 else "< 0.01 %"
    if unit in ("ops", "reqps"):
        return f"{value:.3g}/s"
    return f"{value:.4g}"


def _legend(fmt: str, labels: dict[str, str]) -> str:
    if fmt:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)
    shown = {k: v for k, v in labels.items() if k not in ("__name__", "instance", "job")}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


class Source:
    def __init__(self, url: str, workspace: str, window: float, step: float, end: float) -> None:
        self.url, self.workspace, self.window, self.step = url, workspace, window, step
        self.end = end

    def _expr(self, expr: str) -> str:
        return expr.replace("$__rate_interval", "1m").replace("$workspace", self.workspace)

    def _get(self, api: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        resp = requests.get(f"{self.url}/api/v1/{api}", params=params, timeout=30)
        resp.raise_for_status()
        result: list[dict[str, Any]] = resp.json()["data"]["result"]
        return result

    def series(self, expr: str) -> list[dict[str, Any]]:
        params = {
            "query": self._expr(expr),
            "start": self.end - self.window,
            "end": self.end,
            "step": self.step,
        }
        return self._get("query_range", params)


def _timeseries(ax: Axes, panel: dict[str, Any], src: Source, unit: str) -> int:
    count = 0
    for target in panel["targets"]:
        for s in src.series(target["expr"]):
            xs = [(float(t) - src.end) / 60 for t, _ in s["values"]]
            ys = [float(v) for _, v in s["values"]]
            ax.plot(xs, ys, label=_legend(target.get("legendFormat", ""), s["metric"]))
            count += 1
    ax.set_xlabel("minutes", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.yaxis.set_major_formatter(lambda v, _: _human(v, unit))
    if count:
        ax.legend(fontsize=6, loc="upper left")
    return count


def _values(panel: dict[str, Any], src: Source) -> list[tuple[str, float]]:
    """Each series' last value in the window (a short test run's objects may be gone by
    the window's end; Grafana's stat panels reduce to the last value the same way)."""
    rows = []
    for target in panel["targets"]:
        for s in src.series(target["expr"]):
            last = float(s["values"][-1][1])
            rows.append((_legend(target.get("legendFormat", ""), s["metric"]), last))
    return rows


def _mapped(panel: dict[str, Any], value: float, unit: str) -> str:
    for mapping in panel["fieldConfig"]["defaults"].get("mappings", []):
        text = mapping["options"].get(f"{value:g}", {}).get("text")
        if text:
            return str(text)
    return _human(value, unit)


def _draw(ax: Axes, panel: dict[str, Any], src: Source) -> int:
    unit = panel["fieldConfig"]["defaults"].get("unit", "short")
    ax.set_title(panel["title"], fontsize=9, loc="left")
    if panel["type"] == "timeseries":
        return _timeseries(ax, panel, src, unit)
    rows = _values(panel, src)
    ax.set_xticks([])
    ax.set_yticks([])
    if panel["type"] == "bargauge":
        ax.set_xticks([0, 0.5, 1])
        ax.tick_params(labelsize=7)
        ax.barh([r[0] for r in rows], [min(r[1], 1.0) for r in rows], color="tab:green")
        ax.set_xlim(0, 1)
        for i, (_, v) in enumerate(rows):
            ax.text(0.02, i, _human(v, unit), va="center", fontsize=7)
        return len(rows)
    if panel["type"] == "stat":
        text = "\n".join(f"{_mapped(panel, v, unit)}   {label}" for label, v in rows)
        ax.text(0.05, 0.5, text or "No data", va="center", fontsize=11 if len(rows) < 3 else 9)
        return len(rows)
    lines = [f"{label}    {_mapped(panel, v, unit)}" for label, v in rows[:8]]
    ax.text(0.02, 0.95, "\n".join(lines) or "No data", va="top", fontsize=7, family="monospace")
    return len(rows)


def picture(uid: str, src: Source, out: Path) -> Path:
    board = json.loads(path(next(d for d in DASHBOARDS if d.uid == uid)).read_text())
    bottom: float = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"])
    width_in, height_in = 24 * CELL_W, bottom * CELL_H + 0.6
    fig: Figure = plt.figure(figsize=(width_in, height_in))
    fig.suptitle(f"{board['title']} (workspace {src.workspace})", x=0.01, ha="left")

    def frac_y(rows: float) -> float:  # grid rows from the top → figure fraction from the bottom
        return 1 - (0.6 + rows * CELL_H) / height_in

    for panel in board["panels"]:
        pos = panel["gridPos"]
        if panel["type"] == "row":
            fig.text(0.005, frac_y(pos["y"] + 0.6), panel["title"], fontsize=11, weight="bold")
            continue
        # room for the y-axis labels on the left and the title above
        left = (pos["x"] * CELL_W + 0.65) / width_in
        width = (pos["w"] * CELL_W - 0.8) / width_in
        box_bottom = frac_y(pos["y"] + pos["h"]) + 0.35 / height_in
        box_height = (pos["h"] * CELL_H - 0.75) / height_in
        ax = fig.add_axes((left, box_bottom, width, box_height))
        count = _draw(ax, panel, src)
        print(f"{board['title']} / {panel['title']}: {count} series")
    target = out / f"dashboard-{uid}.png"
    fig.savefig(target, dpi=80)
    plt.close(fig)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.pictures", description=__doc__)
    parser.add_argument("--prometheus", required=True, help="base URL of a Prometheus")
    parser.add_argument("--workspace", required=True, help="workspace for $workspace")
    parser.add_argument("--minutes", type=float, default=20.0, help="time window to plot")
    parser.add_argument(
        "--end", type=float, default=None, help="end of the window, Unix time (default: now)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    step = max(5.0, args.minutes * 3)
    end = time.time() if args.end is None else args.end
    src = Source(args.prometheus, args.workspace, args.minutes * 60, step, end)
    for board in DASHBOARDS:
        print(picture(board.uid, src, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
