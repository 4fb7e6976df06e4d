"""``python -m havre`` / ``havre-operator``: run the operator against the current kubeconfig."""

from __future__ import annotations

import argparse
import os
import sys

import kopf

from havre.audit.operator import decision_sender
from havre.clients import (
    bucket_usage,
    catalog_database,
    identity_provider,
    object_store,
    trino_ca_bundle,
)
from havre.errors import HavreError
from havre.handlers import Context
from havre.kube.cluster import Cluster
from havre.main import register
from havre.memory import limit_malloc_arenas
from havre.metrics.instrument import instrument
from havre.metrics.server import MetricsUnavailable, start_metrics
from havre.peering import ensure_peering, start_priority
from havre.pipeline.identity_sync import IdentitySync
from havre.pipeline.reconcile import Platform
from havre.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="havre-operator", description=__doc__)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    parser.add_argument("--liveness", help="e.g. http://0.0.0.0:8080/healthz")
    parser.add_argument(
        "--peering",
        metavar="NAME",
        help="act only while no older replica with the same ClusterKopfPeering NAME is "
        "alive (several replicas in a cluster); default: standalone",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    limit_malloc_arenas()  # before any thread starts
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"havre-operator: {exc}", file=sys.stderr)
        return 2
    if settings.federation is not None and settings.federation.role == "hub":
        from havre.federation.main import run_hub

        return run_hub(settings.federation, args.kubeconfig, args.liveness, args.verbose)
    cluster = Cluster.from_kubeconfig(args.kubeconfig)
    if args.peering:
        try:
            ensure_peering(cluster, args.peering)
        except HavreError as exc:
            print(f"havre-operator: peering {args.peering}: {exc.reason}: {exc}", file=sys.stderr)
            return 1
    # Each external client is wrapped to be timed and counted (havre_external_*).
    store, catalogs, usage, idp = (
        object_store(settings),
        catalog_database(settings),
        bucket_usage(settings),
        identity_provider(settings),
    )
    platform = Platform(
        cluster=instrument(cluster, "kubernetes"),
        settings=settings,
        store=instrument(store, "object_store") if store is not None else None,
        catalogs=instrument(catalogs, "catalog_database") if catalogs is not None else None,
        trino_ca_bundle=trino_ca_bundle(settings),
        identity=(
            IdentitySync(instrument(idp, "identity_provider"), settings.identity.resync_seconds)
            if idp is not None and settings.identity is not None
            else None
        ),
        audit=decision_sender(settings, cluster),
    )
    ctx = Context(platform=platform)
    metrics = None
    if settings.metrics.enabled:
        try:
            metrics = start_metrics(
                settings.metrics,
                scheduled=lambda: len(ctx.scheduler.pending()),
                usage=instrument(usage, "object_store") if usage is not None else None,
            )
        except MetricsUnavailable as exc:
            print(f"havre-operator: {exc}", file=sys.stderr)
            return 2
    register(settings)
    kopf.configure(verbose=args.verbose)
    try:
        kopf.run(
            clusterwide=True,
            standalone=not args.peering,
            peering_name=args.peering,
            priority=start_priority() if args.peering else 0,
            liveness_endpoint=args.liveness,
            memo=kopf.Memo(ctx=ctx),
        )
    finally:
        if metrics is not None:
            metrics.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
