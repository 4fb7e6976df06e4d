"""``havre``: the command line of a Havre platform's people: the data steward, the approver,
the admin.

``havre workspace requests|approve|reject`` are an approver's (``havre.cli_workspace``);
``havre retained list|release|purge`` an admin's (``havre.cli_retained``).
``havre realm setup`` (platform admin, ``havre.cli_realm``) and ``havre workspace connect``
(researcher, ``havre.cli_connect``) live in their own modules.

    havre dataset publish-sample --dataset NAME --bucket B --prefix P --namespace snds \\
        --rows N --seed S

writes the synthetic SNDS sample as Iceberg tables into ``s3://B/P/`` and registers them in
the dataset's Iceberg JDBC catalog (database ``ds_<name>``, catalog name ``NAME``), where a
Trino catalog with ``iceberg.catalog.type=jdbc`` reads them. The bucket and the database
must exist. Secrets never go on the command line (other users of the machine see it):

- object store: ``HAVRE_STORAGE_URL``, ``HAVRE_STORAGE_ACCESS_KEY``,
  ``HAVRE_STORAGE_SECRET_KEY``, ``HAVRE_STORAGE_CA_FILE`` (the operator's names);
- catalog database: ``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, and ``PGSSLMODE``
  (default ``verify-full``), ``PGSSLROOTCERT`` (the platform CA) — libpq's names.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping

from havre import cli_connect, cli_realm, cli_retained
from havre.api import names
from havre.api.model import NAME_PATTERN
from havre.audit import cli as audit_cli
from havre.cli_workspace import CommandError, add_workspace_commands, run_workspace_command
from havre.datasets.publish import (
    DEFAULT_REGION,
    CatalogDatabase,
    Publication,
    PublishError,
    S3Access,
    publish_tables,
)
from havre.datasets.snds import generate_sample
from havre.errors import HavreError
from havre.retained import RetainedError
from havre.settings import SettingsError

_STORAGE = ("HAVRE_STORAGE_URL", "HAVRE_STORAGE_ACCESS_KEY", "HAVRE_STORAGE_SECRET_KEY")
_DATABASE = ("PGHOST", "PGUSER", "PGPASSWORD")
_DESCRIPTION = "The command line of a Havre platform's people: data stewards and approvers."


class UsageError(ValueError):
    """The command line or the environment is incomplete or wrong."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="havre", description=_DESCRIPTION)
    groups = parser.add_subparsers(dest="group", required=True)
    dataset = groups.add_parser("dataset", help="publish and inspect datasets (data steward)")
    actions = dataset.add_subparsers(dest="action", required=True)
    sample = actions.add_parser(
        "publish-sample",
        help="publish the synthetic SNDS sample as Iceberg tables",
        description="Generate the synthetic SNDS sample and publish it as Iceberg tables. "
        "Connections come from HAVRE_STORAGE_* and PG* environment variables.",
    )
    sample.add_argument("--dataset", required=True, help="Dataset name (catalog name)")
    sample.add_argument("--bucket", required=True, help="the dataset's bucket (must exist)")
    sample.add_argument("--prefix", required=True, help="path of the dataset in its bucket")
    sample.add_argument("--namespace", default="snds", help="Iceberg namespace (default snds)")
    sample.add_argument("--rows", type=int, default=1000, help="beneficiaries (default 1000)")
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.add_argument("--year", type=int, default=2023, help="year of care (default 2023)")
    sample.add_argument("--database", help="catalog database (default ds_<dataset>)")
    sample.add_argument("--region", default=DEFAULT_REGION, help="S3 signing region")
    cli_connect.register(add_workspace_commands(groups))
    cli_retained.add_parser(groups)
    cli_realm.register(groups)
    audit_cli.add_parser(groups)
    return parser


def _required(env: Mapping[str, str], keys: tuple[str, ...]) -> None:
    if missing := [key for key in keys if not env.get(key)]:
        raise UsageError(f"set {', '.join(missing)} in the environment")


def _connections(
    args: argparse.Namespace, env: Mapping[str, str]
) -> tuple[CatalogDatabase, S3Access]:
    _required(env, _STORAGE + _DATABASE)
    url = env["HAVRE_STORAGE_URL"].rstrip("/")
    if not re.fullmatch(r"https?://[^/\s]+", url):
        raise UsageError("HAVRE_STORAGE_URL must look like http(s)://host:port")
    try:
        port = int(env.get("PGPORT", "5432"))
    except ValueError:
        raise UsageError("PGPORT must be a port number") from None
    database = CatalogDatabase(
        host=env["PGHOST"],
        port=port,
        database=args.database or names.dataset_database(args.dataset),
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        sslmode=env.get("PGSSLMODE") or "verify-full",
        sslrootcert=env.get("PGSSLROOTCERT") or None,
    )
    store = S3Access(
        endpoint_url=url,
        access_key=env["HAVRE_STORAGE_ACCESS_KEY"],
        secret_key=env["HAVRE_STORAGE_SECRET_KEY"],
        region=args.region,
        ca_file=env.get("HAVRE_STORAGE_CA_FILE") or None,
    )
    return database, store


def publish_sample(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """Generate the sample from the arguments and publish it; print one line per table."""
    if not re.fullmatch(NAME_PATTERN, args.dataset):
        raise UsageError(f"--dataset {args.dataset!r} does not match {NAME_PATTERN}")
    if args.rows < 1:
        raise UsageError("--rows must be at least 1")
    database, store = _connections(args, env)
    target = Publication(
        catalog_name=args.dataset, namespace=args.namespace, bucket=args.bucket, prefix=args.prefix
    )
    try:
        tables = generate_sample(args.rows, args.seed, args.year)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for table in publish_tables(tables, target, database, store):
        print(f"{table.identifier}: {table.rows} rows at {table.location}")
    print(
        f"dataset {args.dataset}: catalog {target.catalog_name} in database "
        f"{database.database} on {database.host}:{database.port}, files under {target.warehouse}"
    )


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run ``havre``; 0 on success, 1 when publishing or the API server failed, 2 on a
    usage error."""
    args = _parser().parse_args(argv)
    environ = os.environ if env is None else env
    if args.group == "audit":
        try:
            return audit_cli.run(args, environ)
        except ValueError as exc:
            print(f"havre audit: {exc}", file=sys.stderr)
            return 2
    try:
        if (args.group, args.action) == ("dataset", "publish-sample"):
            publish_sample(args, environ)
        elif hasattr(args, "run"):  # commands registered by their own module
            code: int = args.run(args, environ)
            return code
        elif args.group == "workspace":
            print(run_workspace_command(args))
        elif args.group == "retained":
            return cli_retained.run(args, environ)
    except CommandError as exc:
        print(f"havre: {exc}", file=sys.stderr)
        return 1
    except (
        UsageError,
        RetainedError,
        SettingsError,
        cli_realm.RealmUsageError,
        cli_connect.ConnectUsageError,
    ) as exc:
        print(f"havre: {exc}", file=sys.stderr)
        return 2
    except PublishError as exc:
        print(f"havre: {exc.reason}: {exc}", file=sys.stderr)
        return 2 if exc.reason == "InvalidSpec" else 1
    except HavreError as exc:
        print(f"havre: {exc.reason}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
