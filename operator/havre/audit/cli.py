"""``havre audit``: read the trail (who read a dataset, what a person did, everything of a
workspace) and check it (``verify``). The object store comes from ``HAVRE_STORAGE_URL``,
``HAVRE_STORAGE_ACCESS_KEY``, ``HAVRE_STORAGE_SECRET_KEY`` (and ``HAVRE_STORAGE_CA_FILE``);
read-only credentials on the audit bucket are enough.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr, ValidationError

from havre.audit.events import EventError, parse_time
from havre.audit.report import Filter, render_csv, render_table, select
from havre.audit.s3 import audit_client
from havre.audit.store import AuditStore
from havre.audit.trail import TrailError, records_of, verify_chain
from havre.settings import StorageSettings

DEFAULT_BUCKET = "havre-audit"


def add_parser(groups: Any) -> None:
    """Register ``havre audit`` on the top-level subparsers."""
    audit = groups.add_parser("audit", help="read and verify the audit trail")
    actions = audit.add_subparsers(dest="action", required=True)
    for name, target, text in (
        ("dataset", "DATASET", "who read a dataset (queries, and decisions about it)"),
        ("person", "PERSON", "what a person did or decided"),
        ("workspace", "WORKSPACE", "everything of a workspace"),
    ):
        sub = actions.add_parser(name, help=text, description=text)
        sub.add_argument("target", metavar=target)
        sub.add_argument("--since", help="from this time (RFC 3339 or YYYY-MM-DD), inclusive")
        sub.add_argument("--until", help="to this time, exclusive")
        sub.add_argument("--format", choices=("table", "csv"), default="table")
        sub.add_argument("--kind", choices=("query", "decision", "all"), default="all")
        sub.add_argument("--bucket", default=None)
    verify = actions.add_parser(
        "verify", help="walk the hash chain; name the first batch that does not match"
    )
    verify.add_argument("--bucket", default=None)


def _time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text if "T" in text else f"{text}T00:00:00Z")
    except EventError as exc:
        raise ValueError(f"{text!r} is not a date or RFC 3339 time") from exc


def _store(args: argparse.Namespace, env: Mapping[str, str]) -> AuditStore:
    missing = [
        k
        for k in ("HAVRE_STORAGE_URL", "HAVRE_STORAGE_ACCESS_KEY", "HAVRE_STORAGE_SECRET_KEY")
        if not env.get(k)
    ]
    if missing:
        raise ValueError(f"set {', '.join(missing)} in the environment")
    try:
        storage = StorageSettings(
            url=env["HAVRE_STORAGE_URL"],
            access_key=env["HAVRE_STORAGE_ACCESS_KEY"],
            secret_key=SecretStr(env["HAVRE_STORAGE_SECRET_KEY"]),
            ca_file=env.get("HAVRE_STORAGE_CA_FILE") or None,
        )
    except ValidationError as exc:
        raise ValueError(f"HAVRE_STORAGE_*: {exc.errors()[0]['msg']}") from None
    bucket = args.bucket or env.get("HAVRE_AUDIT_BUCKET") or DEFAULT_BUCKET
    return AuditStore(audit_client(storage), bucket, retention_days=1)


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """Run one ``havre audit`` action; 0 on success, 1 when verify finds a mismatch."""
    env = os.environ if env is None else env
    store = _store(args, env)
    if args.action == "verify":
        result = verify_chain(store.batches())
        if not result.ok:
            print(f"MISMATCH at {result.first_bad}: {result.problem}")
            print(f"{result.batches} batch(es) before it verified")
            return 1
        print(
            f"OK: {result.batches} batch(es), {result.records} record(s); "
            f"last hash {result.last_hash}"
        )
        for key in store.written_over():
            print(
                f"NOTE: {key} has a later version or a delete marker; its original, read "
                "and verified here, is intact"
            )
        return 0
    kinds = ("query", "decision") if args.kind == "all" else (args.kind,)
    where = Filter(
        since=_time(args.since),
        until=_time(args.until),
        kinds=kinds,
        **{args.action: args.target},
    )
    try:
        chosen = list(select(records_of(store.batches()), where))
    except TrailError as exc:
        raise ValueError(f"the trail cannot be read ({exc}); run havre audit verify") from exc
    print(render_csv(chosen) if args.format == "csv" else render_table(chosen), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="havre")
    add_parser(parser.add_subparsers(dest="group", required=True))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:
        print(f"havre audit: {exc}", file=sys.stderr)
        return 2
