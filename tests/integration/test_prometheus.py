"""Prometheus scrapes targets that clients add through file-based discovery."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry, Counter, start_http_server

from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration

SCRAPE_WAIT_S = 60.0


@pytest.fixture
def metrics_endpoint() -> Iterator[tuple[str, str]]:
    """A real metrics endpoint on a free loopback port, exposing one counter at 7."""
    registry = CollectorRegistry()
    metric = f"havre_devstack_test_{uuid.uuid4().hex[:8]}"
    Counter(metric, "Events counted by the devstack test.", registry=registry).inc(7)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    yield f"127.0.0.1:{server.server_port}", f"{metric}_total"
    server.shutdown()
    thread.join(timeout=5)


def _query(url: str, promql: str) -> list[dict[str, Any]]:
    resp = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
    resp.raise_for_status()
    body = resp.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _wait_for_value(url: str, promql: str) -> float:
    deadline = time.monotonic() + SCRAPE_WAIT_S
    while True:
        result = _query(url, promql)
        if result and float(result[0]["value"][1]) > 0:
            return float(result[0]["value"][1])
        if time.monotonic() > deadline:
            pytest.fail(f"{promql} still {result} after {SCRAPE_WAIT_S:.0f}s")
        time.sleep(1)


def test_target_added_by_file_is_scraped(
    platform: Platform, metrics_endpoint: tuple[str, str]
) -> None:
    info = platform("prometheus")
    address, counter = metrics_endpoint
    target_file = Path(info["targets_dir"]) / f"test-{uuid.uuid4().hex[:8]}.json"
    scratch = target_file.with_suffix(".tmp")
    scratch.write_text(json.dumps([{"targets": [address], "labels": {"suite": "devstack"}}]))
    scratch.replace(target_file)
    try:
        up = f'up{{job="{info["file_sd_job"]}",instance="{address}"}}'
        assert _wait_for_value(info["url"], up) == 1.0
        assert _wait_for_value(info["url"], f'{counter}{{instance="{address}"}}') == 7.0
        scraped = _query(info["url"], f'{counter}{{suite="devstack"}}')
        assert [r["metric"]["instance"] for r in scraped] == [address]
    finally:
        target_file.unlink()


def test_prometheus_scrapes_itself(platform: Platform) -> None:
    info = platform("prometheus")
    assert _wait_for_value(info["url"], 'up{job="prometheus"}') == 1.0
