"""What the operator remembers of Workspaces, Datasets and DatasetGrants between reconciles.

The operator keeps these records in memory, fed by watches (kopf indexes, ``havre.indexes``),
so a reconcile reads nothing cluster-wide: it asks a ``Catalogue`` for the grants naming its
workspace and the datasets they name. Records are frozen snapshots parsed once per watch
event; a spec that does not parse is kept as ``None`` with the reason, so the rules that use
it (``grants.py``, ``datasets.py``) can say why it opens nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from havre.api.model import DatasetGrantSpec, DatasetSpec, Size, SizeProfileSpec
from havre.api.names import READER_ANNOTATION
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def timestamp(value: Any) -> dt.datetime:
    """An API server timestamp (RFC 3339, ``Z``), or the epoch when absent."""
    if not value:
        return EPOCH
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"spec.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _saw_absent(status: Mapping[str, Any], kind: str) -> bool:
    return any(
        c.get("type") == f"{kind}Found" and c.get("reason") == f"{kind}NotFound"
        for c in status.get("conditions") or []
    )


@dataclass(frozen=True)
class WorkspaceRecord:
    """A Workspace as grants see it: which object (UID) holds the name, since when."""

    name: str
    uid: str
    created: dt.datetime
    deleting: bool = False

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> WorkspaceRecord:
        meta = body["metadata"]
        return cls(
            name=meta["name"],
            uid=meta.get("uid", ""),
            created=timestamp(meta.get("creationTimestamp")),
            deleting=bool(meta.get("deletionTimestamp")),
        )


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    uid: str
    created: dt.datetime
    generation: int
    spec: DatasetSpec | None
    #: Why ``spec`` is None (the field and the problem), else "".
    spec_problem: str = ""

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> DatasetRecord:
        meta = body["metadata"]
        spec, problem = None, ""
        try:
            spec = DatasetSpec.model_validate(body.get("spec") or {})
        except ValidationError as exc:
            problem = _problem(exc)
        return cls(
            name=meta["name"],
            uid=meta.get("uid", ""),
            created=timestamp(meta.get("creationTimestamp")),
            generation=int(meta.get("generation", 0)),
            spec=spec,
            spec_problem=problem,
        )

    @property
    def bucket(self) -> str:
        return self.spec.bucket if self.spec is not None else ""


@dataclass(frozen=True)
class GrantRecord:
    name: str
    uid: str
    created: dt.datetime
    generation: int
    deleting: bool
    #: Names from the spec, even when the rest does not parse (to index and wake by them).
    workspace: str
    dataset: str
    spec: DatasetGrantSpec | None
    spec_problem: str = ""
    #: The UIDs the grant attached to, as its status records them ("" until it attached).
    workspace_uid: str = ""
    dataset_uid: str = ""
    #: Whether its status already records that no such Workspace (Dataset) existed when
    #: the grant was made: it then never attaches to one created later.
    workspace_absent: bool = False
    dataset_absent: bool = False
    #: The provider the hub says runs the workspace (federation/remote_grant.py), or "".
    reader: str = ""

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> GrantRecord:
        meta = body["metadata"]
        raw = body.get("spec") or {}
        status = body.get("status") or {}
        spec, problem = None, ""
        try:
            spec = DatasetGrantSpec.model_validate(raw)
        except ValidationError as exc:
            problem = _problem(exc)
        return cls(
            name=meta["name"],
            uid=meta.get("uid", ""),
            created=timestamp(meta.get("creationTimestamp")),
            generation=int(meta.get("generation", 0)),
            deleting=bool(meta.get("deletionTimestamp")),
            workspace=str(raw.get("workspace", "")),
            dataset=str(raw.get("dataset", "")),
            spec=spec,
            spec_problem=problem,
            workspace_uid=str(status.get("workspaceUID", "")),
            dataset_uid=str(status.get("datasetUID", "")),
            workspace_absent=_saw_absent(status, "Workspace"),
            dataset_absent=_saw_absent(status, "Dataset"),
            reader=str((meta.get("annotations") or {}).get(READER_ANNOTATION, "")),
        )


@dataclass(frozen=True)
class SizeProfileRecord:
    name: str
    #: The profile's sizes; None when its spec does not parse (it then sizes nothing).
    size: Size | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SizeProfileRecord:
        try:
            spec = SizeProfileSpec.model_validate(body.get("spec") or {})
        except ValidationError:
            return cls(body["metadata"]["name"], None)
        return cls(body["metadata"]["name"], Size(**spec.model_dump(exclude={"description"})))


class Catalogue(Protocol):
    """Read access to the operator's records. Implementations answer from memory (the
    operator's indexes) or from one listing (tools and tests); none reads per call."""

    def workspace(self, name: str) -> WorkspaceRecord | None: ...

    def dataset(self, name: str) -> DatasetRecord | None: ...

    def datasets_in_bucket(self, bucket: str) -> tuple[DatasetRecord, ...]: ...

    def grants_of_workspace(self, workspace: str) -> tuple[GrantRecord, ...]: ...

    def grants_of_dataset(self, dataset: str) -> tuple[GrantRecord, ...]: ...

    def size_profile(self, name: str) -> SizeProfileRecord | None: ...


@dataclass(frozen=True)
class StaticCatalogue:
    """A ``Catalogue`` over fixed records: for tests, tools and the benchmark."""

    workspaces: tuple[WorkspaceRecord, ...] = ()
    datasets: tuple[DatasetRecord, ...] = ()
    grants: tuple[GrantRecord, ...] = ()
    #: None: every profile name has the built-in sizes (``standard``), for tests and tools.
    profiles: tuple[SizeProfileRecord, ...] | None = None

    @classmethod
    def from_bodies(
        cls,
        workspaces: Iterable[Mapping[str, Any]] = (),
        datasets: Iterable[Mapping[str, Any]] = (),
        grants: Iterable[Mapping[str, Any]] = (),
        profiles: Iterable[Mapping[str, Any]] | None = None,
    ) -> StaticCatalogue:
        return cls(
            tuple(WorkspaceRecord.from_body(b) for b in workspaces),
            tuple(DatasetRecord.from_body(b) for b in datasets),
            tuple(GrantRecord.from_body(b) for b in grants),
            None if profiles is None else tuple(SizeProfileRecord.from_body(b) for b in profiles),
        )

    @classmethod
    def listed(cls, cluster: Cluster) -> StaticCatalogue:
        """One LIST of each kind: what a command-line tool or a test needs, never the
        operator's reconcile (which reads its indexes)."""
        return cls.from_bodies(
            cluster.list(by_name("Workspace")),
            cluster.list(by_name("Dataset")),
            cluster.list(by_name("DatasetGrant")),
            cluster.list(by_name("SizeProfile")),
        )

    def workspace(self, name: str) -> WorkspaceRecord | None:
        return next((w for w in self.workspaces if w.name == name), None)

    def dataset(self, name: str) -> DatasetRecord | None:
        return next((d for d in self.datasets if d.name == name), None)

    def datasets_in_bucket(self, bucket: str) -> tuple[DatasetRecord, ...]:
        return tuple(d for d in self.datasets if d.bucket == bucket)

    def grants_of_workspace(self, workspace: str) -> tuple[GrantRecord, ...]:
        return tuple(g for g in self.grants if g.workspace == workspace)

    def grants_of_dataset(self, dataset: str) -> tuple[GrantRecord, ...]:
        return tuple(g for g in self.grants if g.dataset == dataset)

    def size_profile(self, name: str) -> SizeProfileRecord | None:
        if self.profiles is None:
            return SizeProfileRecord(name, Size())
        return next((p for p in self.profiles if p.name == name), None)
