"""``havre retained``: the admin's view of data kept by deleted workspaces, and the two ways
to settle it (see ``havre.retained``).

    havre retained list [--all]
    havre retained release NAME      hand NAME's retained data to the workspace NAME now
    havre retained purge NAME --yes  delete NAME's retained data

Connections as the operator's: the kubeconfig (``--kubeconfig`` or ``KUBECONFIG``), and the
object store and catalog database administration from ``HAVRE_STORAGE_*`` and
``HAVRE_CATALOG_*`` (or ``HAVRE_CONFIG``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from havre import retained
from havre.clients import catalog_database, object_store
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.settings import load_settings


def add_parser(groups: Any) -> None:
    """Register ``havre retained`` on the top-level subparsers."""
    parser = groups.add_parser(
        "retained", help="data kept by deleted workspaces: list, release, purge (admin)"
    )
    parser.add_argument("--kubeconfig", help="default: $KUBECONFIG")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="retained data, by workspace name")
    listing.add_argument("--all", action="store_true", help="also data in use")
    release = actions.add_parser(
        "release",
        help="hand a name's retained data to the workspace of that name now (explicit: its "
        "members then read the old project's files and tables)",
    )
    release.add_argument("workspace")
    purge = actions.add_parser("purge", help="delete a name's retained data for good")
    purge.add_argument("workspace")
    purge.add_argument("--yes", action="store_true", help="really delete (required)")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Carry out ``havre retained``; print one line per finding or action."""
    settings = load_settings(dict(env))
    store, catalogs = object_store(settings), catalog_database(settings)
    cluster = Cluster.from_kubeconfig(args.kubeconfig or env.get("KUBECONFIG"))
    live = {w["metadata"]["name"]: w["metadata"]["uid"] for w in cluster.list(by_name("Workspace"))}
    if args.action == "list":
        for holding in retained.holdings(live, store, catalogs):
            if args.all or holding.state != "in-use":
                print(
                    f"{holding.workspace}\t{holding.system}\t{holding.state}\t"
                    f"recorded={holding.recorded or '-'}\tworkspace={holding.live or '-'}"
                )
        return 0
    name = args.workspace
    if args.action == "release":
        done = retained.release(name, live.get(name, ""), store, catalogs)
    else:
        if not args.yes:
            raise retained.RetainedError(f"purge deletes {name}'s retained data: add --yes")
        done = retained.purge(name, live.get(name, ""), store, catalogs)
    for line in done or [f"nothing retained for {name}"]:
        print(line)
    return 0
