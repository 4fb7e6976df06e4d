"""Reads bucket usage from the object store at a fixed interval, into the view.

One background thread, one admin call per interval for every bucket at once (the store
counts usage itself). A failed read keeps the last known usage and is visible in
``havre_external_request_errors_total``; the next interval tries again.
"""

from __future__ import annotations

import logging
import threading

from havre.external.usage import UsageSource
from havre.metrics.view import View

_log = logging.getLogger("havre.metrics.usage")


class UsagePoller:
    def __init__(self, source: UsageSource, view: View, interval: float) -> None:
        self._source = source
        self._view = view
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="havre-usage", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll_once(self) -> bool:
        """One read; True when it succeeded."""
        try:
            report = self._source.bucket_usage()
        except Exception as exc:  # the store may be down; the metrics say so, we go on
            _log.warning("reading bucket usage failed: %s", exc)
            return False
        self._view.set_usage(report.buckets, report.updated)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self._interval)
