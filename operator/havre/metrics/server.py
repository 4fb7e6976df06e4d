"""Start the operator's metrics: the HTTP endpoint, the scrape-time collector, the usage
reader. Called once by ``python -m havre`` before kopf runs."""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from havre.external.usage import UsageSource
from havre.metrics.collectors import StateCollector
from havre.metrics.definitions import BUILD_INFO, REGISTRY, initialise
from havre.metrics.usage import UsagePoller
from havre.metrics.view import VIEW
from havre.settings import MetricsSettings


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


class MetricsUnavailable(RuntimeError):
    """The metrics endpoint cannot listen where the settings say."""


@dataclass
class MetricsServer:
    """What ``start_metrics`` started, to stop it again (tests, shutdown)."""

    server: WSGIServer
    thread: threading.Thread
    collector: StateCollector
    poller: UsagePoller | None

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self.server.shutdown()
        self.thread.join(timeout=5)
        REGISTRY.unregister(self.collector)


def start_metrics(
    settings: MetricsSettings,
    scheduled: Callable[[], int],
    usage: UsageSource | None = None,
) -> MetricsServer:
    """Serve ``/metrics`` on ``settings.address:port`` from Havre's registry.

    ``MetricsUnavailable`` when the address cannot be bound (port taken, no such address).
    """
    try:
        server, thread = start_http_server(settings.port, addr=settings.address, registry=REGISTRY)
    except OSError as exc:
        raise MetricsUnavailable(
            f"metrics.address/metrics.port {settings.address}:{settings.port}: {exc.strerror}"
        ) from exc
    BUILD_INFO.labels(_version("havre"), _version("kopf"), platform.python_version()).set(1)
    initialise()
    collector = StateCollector(VIEW, scheduled)
    REGISTRY.register(collector)
    poller = None
    if usage is not None:
        poller = UsagePoller(usage, VIEW, settings.usage_interval)
        poller.start()
    return MetricsServer(server, thread, collector, poller)
