"""Reading the trail for people: filters and the table or CSV ``havre audit`` prints. Pure."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from havre.audit.events import parse_time

COLUMNS = (
    "time",
    "kind",
    "person",
    "workspace",
    "what",
    "outcome",
    "dataset",
    "grant",
    "legal_basis",
    "rows",
    "bytes",
    "id",
)


@dataclass(frozen=True)
class Filter:
    """Which records to keep; every field set must match."""

    dataset: str | None = None
    person: str | None = None
    workspace: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    kinds: tuple[str, ...] = ("query", "decision")

    def keeps(self, record: Mapping[str, Any]) -> bool:
        if record.get("kind") not in self.kinds:
            return False
        when = parse_time(record.get("time"))
        if (self.since and when < self.since) or (self.until and when >= self.until):
            return False
        if self.workspace and record.get("workspace") != self.workspace:
            return False
        if self.person and self.person not in (record.get("person"), record.get("by")):
            return False
        if self.dataset:
            if record.get("kind") == "query":
                return self.dataset in (record.get("datasets") or [])
            return record.get("dataset") == self.dataset
        return True


def select(records: Iterable[Mapping[str, Any]], where: Filter) -> Iterator[Mapping[str, Any]]:
    return (r for r in records if where.keeps(r))


def _tables(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in record.get("tables") or [] if t.get("owner") != "system"]


def row(record: Mapping[str, Any]) -> dict[str, str]:
    """One line of the report for a record."""
    if record.get("kind") == "decision":
        detail = [record.get("member"), record.get("role"), record.get("expires")]
        obj = record.get("object") or {}
        return {
            "time": str(record.get("time")),
            "kind": "decision",
            "person": str(record.get("by") or "(unattributed)"),
            "workspace": str(record.get("workspace") or ""),
            "what": " ".join(
                [str(record.get("action")), str(obj.get("name") or "")]
                + [str(d) for d in detail if d]
            ),
            "outcome": "",
            "dataset": str(record.get("dataset") or ""),
            "grant": str(record.get("grant") or ""),
            "legal_basis": str(record.get("legalBasis") or ""),
            "rows": "",
            "bytes": "",
            "id": str(obj.get("uid") or ""),
        }
    tables = _tables(record)
    grants = sorted({str(t["grant"]) for t in tables if t.get("grant")})
    bases = sorted({str(t["legalBasis"]) for t in tables if t.get("legalBasis")})
    what = ", ".join(
        sorted(
            {
                f"{t.get('access')} {t.get('catalog')}.{t.get('schema')}.{t.get('table')}"
                for t in tables
            }
        )
    )
    return {
        "time": str(record.get("time")),
        "kind": str(record.get("kind")),
        "person": str(record.get("person")),
        "workspace": str(record.get("workspace")),
        "what": what or str(record.get("queryType") or ""),
        "outcome": str(record.get("outcome") or ""),
        "dataset": ",".join(record.get("datasets") or []),
        "grant": ",".join(grants),
        "legal_basis": ",".join(bases),
        "rows": str(record.get("rows", "")),
        "bytes": str(record.get("bytes", "")),
        "id": str(record.get("queryId") or ""),
    }


def render_csv(records: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(row(record))
    return out.getvalue()


def render_table(records: Iterable[Mapping[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    rows = [row(r) for r in records]
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines) + "\n"
