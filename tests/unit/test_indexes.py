"""The operator's memory: kopf's indexes keyed so that a reconcile finds its grants and
datasets without listing the cluster, read from worker threads through the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kopf._core.engines.indexing import OperatorIndexer

from havre.indexes import INDEXES, KopfCatalogue
from tests.unit.world import dataset_body, grant_body, workspace_body


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    thread = threading.Thread(target=running.run_forever, daemon=True)
    thread.start()
    yield running
    running.call_soon_threadsafe(running.stop)
    thread.join(timeout=5)


def indexed(bodies: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Every index filled from ``bodies`` (by plural), as kopf fills them from watches."""
    indexers = {name: OperatorIndexer() for name in INDEXES}
    for name, (plural, function) in INDEXES.items():
        for body in bodies.get(plural, []):
            meta = body["metadata"]
            indexers[name].replace((None, meta["name"], meta["uid"]), function(body=body))
    return {name: indexer.index for name, indexer in indexers.items()}


def test_a_reconcile_finds_its_records_by_key(loop: asyncio.AbstractEventLoop) -> None:
    catalogue = KopfCatalogue()
    catalogue.bind(
        loop,
        indexed(
            {
                "workspaces": [workspace_body()],
                "datasets": [dataset_body("snds"), dataset_body("other", "archive")],
                "datasetgrants": [
                    grant_body("g1", "snds"),
                    grant_body("g2", "other"),
                    grant_body("g3", "snds", workspace="onco"),
                ],
            }
        ),
    )
    assert {g.name for g in catalogue.grants_of_workspace("cardio")} == {"g1", "g2"}
    assert {g.name for g in catalogue.grants_of_dataset("snds")} == {"g1", "g3"}
    assert catalogue.grants_of_workspace("nobody") == ()
    found = catalogue.dataset("snds")
    assert found is not None and found.bucket == "datasets"
    assert [d.name for d in catalogue.datasets_in_bucket("archive")] == ["other"]
    workspace = catalogue.workspace("cardio")
    assert workspace is not None and workspace.uid == workspace_body()["metadata"]["uid"]
    assert catalogue.workspace("ghost") is None


def test_reading_before_the_operator_started_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="before the operator started"):
        KopfCatalogue().grants_of_workspace("cardio")
