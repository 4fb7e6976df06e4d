"""Reads a reconcile needs besides the object itself: grants, datasets, kept secrets.

Needs a client. One LIST per kind; what it returns is plain data for the pure steps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from havre.api import names
from havre.api.model import DatasetGrantSpec, DatasetSpec
from havre.external.pki import CertificateAuthority
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from havre.pipeline.render.secrets import decode_secret


@dataclass(frozen=True)
class ActiveGrant:
    """A grant in force now, with the dataset it opens."""

    name: str
    spec: DatasetGrantSpec
    dataset: DatasetSpec


@dataclass(frozen=True)
class WorkspaceRefs:
    grants: tuple[ActiveGrant, ...]
    #: Credentials already issued and kept in the workspace's namespace, by Secret name
    #: (empty when not issued yet): reused, so a reconcile never rotates them.
    kept: dict[str, dict[str, str]]

    def __repr__(self) -> str:  # kept credentials must never reach a log line
        return f"WorkspaceRefs(grants={[g.name for g in self.grants]})"


def _parse(model: type[Any], obj: dict[str, Any]) -> Any:
    try:
        return model.model_validate(obj.get("spec", {}))
    except ValidationError:
        return None  # its own reconcile reports it; here it simply grants nothing


def active_grants(
    grants: list[dict[str, Any]], datasets: list[dict[str, Any]], workspace: str, now: dt.datetime
) -> tuple[ActiveGrant, ...]:
    """Grants for ``workspace`` that are valid, not expired, not being deleted, and whose
    dataset exists. Pure; sorted by name so the rendered policy is stable."""
    by_name_ds = {d["metadata"]["name"]: _parse(DatasetSpec, d) for d in datasets}
    active = []
    for grant in grants:
        spec = _parse(DatasetGrantSpec, grant)
        if spec is None or spec.workspace != workspace or spec.expires <= now:
            continue
        if grant["metadata"].get("deletionTimestamp"):
            continue
        dataset = by_name_ds.get(spec.dataset)
        if dataset is None:
            continue
        active.append(ActiveGrant(grant["metadata"]["name"], spec, dataset))
    return tuple(sorted(active, key=lambda g: g.name))


def dereference_workspace(
    cluster: Cluster, workspace: str, now: dt.datetime, secrets: tuple[str, ...]
) -> WorkspaceRefs:
    """Grants in force and the named credential Secrets already issued to ``workspace``."""
    grants = cluster.list(by_name("DatasetGrant"))
    datasets = cluster.list(by_name("Dataset"))
    kept = {
        name: decode_secret(cluster.get(by_name("Secret"), name, names.namespace(workspace)))
        for name in secrets
    }
    return WorkspaceRefs(active_grants(grants, datasets, workspace, now), kept)


def read_platform_ca(cluster: Cluster, ref: str) -> CertificateAuthority | None:
    """The CA Secret ``namespace/name`` (tls.crt, tls.key), or None when it is missing."""
    namespace, name = ref.split("/", 1)
    data = decode_secret(cluster.get(by_name("Secret"), name, namespace))
    if "tls.crt" not in data or "tls.key" not in data:
        return None
    return CertificateAuthority(data["tls.crt"].encode(), data["tls.key"].encode())
