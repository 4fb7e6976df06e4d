"""The trail's format: batches of records, each carrying the hash of the one before.

A batch is one object ``batches/<sequence, 12 digits>.jsonl`` in the audit bucket: JSON
Lines, the first line a header, then one record per line::

    {"format": "havre-audit/1", "sequence": 7, "previous": "<sha256 of batch 6>",
     "written": "2026-11-30T10:00:00.000Z", "records": 2}
    {"kind": "query", ...}
    {"kind": "decision", ...}

The hash of a batch is the SHA-256 of its bytes as stored; batch 0's ``previous`` is 64
zeros. Keys sort in sequence order. Editing, removing or reordering any batch breaks the
link of the next one, which ``verify_chain`` reports. Pure: no client here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FORMAT = "havre-audit/1"
PREFIX = "batches/"
GENESIS = "0" * 64
_KEY = re.compile(r"^batches/(\d{12})\.jsonl$")


class TrailError(ValueError):
    """A batch that cannot be read as the format says."""


def batch_key(sequence: int) -> str:
    return f"{PREFIX}{sequence:012d}.jsonl"


def sequence_of(key: str) -> int | None:
    """The sequence number a batch key names, or None for any other object."""
    found = _KEY.fullmatch(key)
    return int(found.group(1)) if found else None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _line(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def encode_batch(
    sequence: int, previous: str, records: Sequence[Mapping[str, Any]], written: dt.datetime
) -> bytes:
    """The bytes of one batch (header line, then each record on its line)."""
    header = {
        "format": FORMAT,
        "sequence": sequence,
        "previous": previous,
        "written": written.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "records": len(records),
    }
    return b"\n".join([_line(header), *(_line(r) for r in records)]) + b"\n"


@dataclass(frozen=True)
class Batch:
    header: dict[str, Any]
    records: list[dict[str, Any]]


def decode_batch(data: bytes) -> Batch:
    """Parse a batch; raises TrailError naming what is wrong."""
    try:
        lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    except (UnicodeDecodeError, ValueError) as exc:
        raise TrailError(f"not JSON Lines: {exc}") from exc
    if not lines or not isinstance(lines[0], dict) or lines[0].get("format") != FORMAT:
        raise TrailError(f"no {FORMAT} header")
    header, records = lines[0], lines[1:]
    if header.get("records") != len(records):
        raise TrailError(f"header says {header.get('records')} records, batch holds {len(records)}")
    if not all(isinstance(r, dict) for r in records):
        raise TrailError("a record is not a JSON object")
    return Batch(header, records)


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: ``first_bad`` names the first batch that does
    not match (None when the whole chain holds)."""

    batches: int
    records: int
    last_hash: str
    first_bad: str | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify_chain(batches: Iterable[tuple[str, bytes]]) -> Verification:
    """Walk ``(key, bytes)`` in key order from batch 0: each batch must parse, carry its
    own sequence, and name the previous batch's hash. Stops at the first mismatch and
    names the batch whose bytes are not what was chained (when batch k names another hash
    for batch k-1, batch k-1 is the one that changed). The last batch is covered once the
    next one is written."""
    previous, count, records, expected, previous_key = GENESIS, 0, 0, 0, ""
    for key, data in batches:
        sequence = sequence_of(key)
        if sequence is None:
            continue
        if sequence != expected:
            return Verification(
                count, records, previous, key, f"expected batch {expected}, found {sequence}"
            )
        try:
            batch = decode_batch(data)
        except TrailError as exc:
            return Verification(count, records, previous, key, str(exc))
        if batch.header.get("sequence") != sequence:
            return Verification(
                count, records, previous, key, "the header's sequence differs from the key"
            )
        if batch.header.get("previous") != previous:
            return Verification(
                count - 1,
                records,
                previous,
                previous_key or key,
                f"its SHA-256 is {previous}, but the next batch ({key}) chained "
                f"{batch.header.get('previous')}: it was changed after it was written",
            )
        previous, previous_key = digest(data), key
        count += 1
        records += len(batch.records)
        expected += 1
    return Verification(count, records, previous)


def records_of(batches: Iterable[tuple[str, bytes]]) -> Iterator[dict[str, Any]]:
    """Every record of the given batches, in order."""
    for key, data in batches:
        if sequence_of(key) is not None:
            yield from decode_batch(data).records
