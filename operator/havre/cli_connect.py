"""``havre workspace connect NAME``: how a member reaches a workspace's Trino.

The Trino URL and the granted catalogs come from the Workspace's status when the caller
may read it (owners may); ``--trino-url`` (or ``HAVRE_TRINO_URL``, where ``{workspace}`` is
replaced) gives the address a member reaches from outside the cluster. The issuer comes
from ``--issuer`` or ``HAVRE_IDENTITY_ISSUER``.
"""

from __future__ import annotations

import argparse
import getpass
import re
from collections.abc import Mapping
from typing import Any

from kubernetes.config import ConfigException

from havre.api.model import NAME_PATTERN
from havre.connect import Connection, render_connection
from havre.errors import HavreError
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name


class ConnectUsageError(ValueError):
    """The command line or the environment is incomplete or wrong."""


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``connect`` to the ``havre workspace`` commands."""
    connect = actions.add_parser(
        "connect",
        help="print the Trino URL, how to get a token, a trino CLI line and a Python snippet",
    )
    connect.add_argument("name", help="the Workspace")
    connect.add_argument("--trino-url", help="Trino URL as you reach it (default: status)")
    connect.add_argument("--issuer", help="identity provider issuer (realm URL)")
    connect.add_argument("--user", help="your username (default: your login name)")
    connect.add_argument("--client-id", default="trino", help="token client (default trino)")
    connect.add_argument("--ca-file", help="PEM CA bundle of the platform")
    connect.add_argument("--kubeconfig", help="kubeconfig to read the Workspace's status")
    connect.set_defaults(run=run_connect)


def _status(name: str, kubeconfig: str | None) -> dict[str, Any]:
    """The Workspace's status, or {} when it cannot be read (members other than owners)."""
    try:
        obj = Cluster.from_kubeconfig(kubeconfig).get(by_name("Workspace"), name)
    except (HavreError, ConfigException, OSError, ValueError, TypeError):
        return {}
    if obj is None:
        raise ConnectUsageError(f"no Workspace {name}")
    status: dict[str, Any] = obj.get("status") or {}
    return status


def run_connect(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Print the recipe; 0, or a usage error naming what is missing."""
    if not re.fullmatch(NAME_PATTERN, args.name):
        raise ConnectUsageError(f"{args.name!r} is not a workspace name")
    status = _status(args.name, args.kubeconfig or env.get("KUBECONFIG"))
    url = args.trino_url or env.get("HAVRE_TRINO_URL", "").replace("{workspace}", args.name)
    url = url or (status.get("endpoints") or {}).get("trino", "")
    if not url.startswith("https://"):
        raise ConnectUsageError("no https Trino URL: pass --trino-url or set HAVRE_TRINO_URL")
    issuer = args.issuer or env.get("HAVRE_IDENTITY_ISSUER", "")
    if not issuer.startswith("https://"):
        raise ConnectUsageError("no https issuer: pass --issuer or set HAVRE_IDENTITY_ISSUER")
    datasets = tuple(sorted(g["dataset"].replace("-", "_") for g in status.get("grants") or []))
    connection = Connection(
        workspace=args.name,
        trino_url=url.rstrip("/"),
        issuer=issuer.rstrip("/"),
        user=args.user or env.get("USER") or getpass.getuser(),
        client_id=args.client_id,
        ca_file=args.ca_file,
        datasets=datasets,
    )
    print(render_connection(connection))
    return 0
