"""``python -m havre`` / ``havre-operator``: run the operator against the current kubeconfig."""

from __future__ import annotations

import argparse
import os
import sys

import kopf

from havre.clients import catalog_database, object_store, trino_ca_bundle
from havre.handlers import Context
from havre.kube.cluster import Cluster
from havre.main import register
from havre.pipeline.reconcile import Platform
from havre.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="havre-operator", description=__doc__)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    parser.add_argument("--liveness", help="e.g. http://0.0.0.0:8080/healthz")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"havre-operator: {exc}", file=sys.stderr)
        return 2
    platform = Platform(
        cluster=Cluster.from_kubeconfig(args.kubeconfig),
        settings=settings,
        store=object_store(settings),
        catalogs=catalog_database(settings),
        trino_ca_bundle=trino_ca_bundle(settings),
    )
    register(settings)
    kopf.configure(verbose=args.verbose)
    kopf.run(
        clusterwide=True,
        standalone=True,
        liveness_endpoint=args.liveness,
        memo=kopf.Memo(ctx=Context(platform=platform)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
