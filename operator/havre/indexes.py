"""The operator's memory: kopf indexes of grants, datasets and workspaces, fed by watches.

A reconcile reads its records here (``KopfCatalogue``), never by listing the cluster, and
kopf starts no handler before every index holds the objects its first listing returned,
so a reconcile right after a restart never sees an empty memory (which would revoke grants).

kopf fills the indexes on its event loop; handlers run in worker threads. Every read goes
through the loop (``run_coroutine_threadsafe``), so a thread never sees an index half way
through an update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from havre.errors import DependencyUnavailable
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.records import (
    Catalogue,
    DatasetRecord,
    GrantRecord,
    SizeProfileRecord,
    WorkspaceRecord,
)

T = TypeVar("T")
#: How long a worker thread waits for the event loop to answer a read.
READ_TIMEOUT = 30.0


def grants_by_workspace(body: Mapping[str, Any], **_: Any) -> dict[str, GrantRecord]:
    record = GrantRecord.from_body(body)
    return {record.workspace: record}


def grants_by_dataset(body: Mapping[str, Any], **_: Any) -> dict[str, GrantRecord]:
    record = GrantRecord.from_body(body)
    return {record.dataset: record}


def datasets_by_name(body: Mapping[str, Any], **_: Any) -> dict[str, DatasetRecord]:
    record = DatasetRecord.from_body(body)
    return {record.name: record}


def datasets_by_bucket(body: Mapping[str, Any], **_: Any) -> dict[str, DatasetRecord]:
    record = DatasetRecord.from_body(body)
    return {record.bucket: record}


def workspaces_by_name(body: Mapping[str, Any], **_: Any) -> dict[str, WorkspaceRecord]:
    record = WorkspaceRecord.from_body(body)
    return {record.name: record}


def size_profiles_by_name(body: Mapping[str, Any], **_: Any) -> dict[str, SizeProfileRecord]:
    record = SizeProfileRecord.from_body(body)
    return {record.name: record}


#: Index name (the kwarg kopf hands to handlers) → (resource plural, index function).
INDEXES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "grants_by_workspace": ("datasetgrants", grants_by_workspace),
    "grants_by_dataset": ("datasetgrants", grants_by_dataset),
    "datasets_by_name": ("datasets", datasets_by_name),
    "datasets_by_bucket": ("datasets", datasets_by_bucket),
    "workspaces_by_name": ("workspaces", workspaces_by_name),
    "size_profiles_by_name": ("sizeprofiles", size_profiles_by_name),
}


async def _call(read: Callable[[], T]) -> T:
    return read()


class KopfCatalogue:
    """A ``Catalogue`` over kopf's indexes, safe to read from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._indexes: dict[str, Mapping[str, Any]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop, indices: Mapping[str, Any]) -> None:
        """At startup: the operator's loop and its (still empty) indexes, by name."""
        self._loop = loop
        self._indexes = {name: indices[name] for name in INDEXES}

    def _read(self, read: Callable[[], T]) -> T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("catalogue read before the operator started")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return read()
        future = asyncio.run_coroutine_threadsafe(_call(read), loop)
        try:
            return future.result(timeout=READ_TIMEOUT)
        except TimeoutError as exc:
            future.cancel()
            raise DependencyUnavailable(
                "the operator's event loop did not answer a read of its indexes",
                reason="OperatorBusy",
            ) from exc

    def _values(self, index: str, key: str) -> tuple[Any, ...]:
        def read() -> tuple[Any, ...]:
            found = self._indexes[index]
            return tuple(found[key]) if key in found else ()

        return self._read(read)

    def workspace(self, name: str) -> WorkspaceRecord | None:
        return next(iter(self._values("workspaces_by_name", name)), None)

    def dataset(self, name: str) -> DatasetRecord | None:
        return next(iter(self._values("datasets_by_name", name)), None)

    def datasets_in_bucket(self, bucket: str) -> tuple[DatasetRecord, ...]:
        return self._values("datasets_by_bucket", bucket)

    def grants_of_workspace(self, workspace: str) -> tuple[GrantRecord, ...]:
        return self._values("grants_by_workspace", workspace)

    def grants_of_dataset(self, dataset: str) -> tuple[GrantRecord, ...]:
        return self._values("grants_by_dataset", dataset)

    def size_profile(self, name: str) -> SizeProfileRecord | None:
        return next(iter(self._values("size_profiles_by_name", name)), None)


class ConfirmingCatalogue:
    """The catalogue, but an object it does not hold is looked up on the API server before
    a grant records that it does not exist (which binds the grant to nothing for good)."""

    def __init__(self, catalogue: Catalogue, cluster: Cluster) -> None:
        self._catalogue = catalogue
        self._cluster = cluster

    def workspace(self, name: str) -> WorkspaceRecord | None:
        found = self._catalogue.workspace(name)
        if found is None and (body := self._cluster.get(by_name("Workspace"), name)):
            return WorkspaceRecord.from_body(body)
        return found

    def dataset(self, name: str) -> DatasetRecord | None:
        found = self._catalogue.dataset(name)
        if found is None and (body := self._cluster.get(by_name("Dataset"), name)):
            return DatasetRecord.from_body(body)
        return found

    def datasets_in_bucket(self, bucket: str) -> tuple[DatasetRecord, ...]:
        return self._catalogue.datasets_in_bucket(bucket)

    def grants_of_workspace(self, workspace: str) -> tuple[GrantRecord, ...]:
        return self._catalogue.grants_of_workspace(workspace)

    def grants_of_dataset(self, dataset: str) -> tuple[GrantRecord, ...]:
        return self._catalogue.grants_of_dataset(dataset)

    def size_profile(self, name: str) -> SizeProfileRecord | None:
        return self._catalogue.size_profile(name)
