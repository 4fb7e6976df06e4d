"""A grant read from another provider, at the member holding the data (pure).

A workspace on one member reads a dataset held by another member's provider through
credentials that the *holder* issues for that one grant (docs/federation.md, "Reading
across providers"). The hub sends such a grant to the holder's member with the annotation
``federation.havre.io/workspace-provider`` naming the provider where the workspace runs;
the holder's operator then:

- does not look for the workspace (it runs elsewhere): the grant binds to the Dataset by
  the usual rules (created after it, its UID recorded), and is in force while the dataset
  is valid here, the grant unexpired and not being deleted;
- issues, while it is in force, a MinIO user whose policy reads only the dataset's prefix
  and a PostgreSQL role reading only its ``ds_`` catalog, each named and recorded after
  the grant's UID (never its reusable name), and a Secret holding them with the endpoints;
- deletes all three as soon as it is not in force (deleted, expired, dataset gone): the
  revocation happens at the holder, first and on its own, with the local delay.

Without a provider of its own (a single cluster) an operator ignores the annotation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.names import READER_ANNOTATION
from havre.pipeline.conditions import Check
from havre.pipeline.grants import GrantState, _bind, active_check
from havre.pipeline.records import DatasetRecord, GrantRecord
from havre.pipeline.render.objectstore_policy import (
    POLICY_VERSION,
    DatasetLocation,
    dataset_read_statements,
)

#: Where the holder keeps the credentials it issued and the hub writes its copies: a
#: namespace of its own, apart from the hub's token in ``havre-federation``.
SECRET_NAMESPACE = "havre-federation-grants"  # noqa: S105 - a namespace
#: Records the grant a credential belongs to (policy ``ID``, role ``COMMENT``, Secret label).
GRANT_UID_KEY = "havre.io/grant-uid"
_UID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def reader_of(annotations: Mapping[str, str] | None) -> str:
    """The provider named by the hub as the workspace's, or ""."""
    return str((annotations or {}).get(READER_ANNOTATION, ""))


def read_from_elsewhere(grant: GrantRecord, provider: str | None) -> bool:
    """True when this member (at ``provider``) holds the data of a grant whose workspace
    runs at another provider: it issues credentials, and no local workspace reads it."""
    return provider is not None and bool(grant.reader) and grant.reader != provider


@dataclass(frozen=True)
class GrantCredentials:
    """Names of what the holder issues for one grant, all derived from its UID."""

    grant_uid: str

    def __post_init__(self) -> None:
        if not _UID.fullmatch(self.grant_uid):
            raise ValueError(f"not a Kubernetes UID: {self.grant_uid!r}")

    @property
    def _hex(self) -> str:
        return self.grant_uid.replace("-", "").lower()

    @property
    def access_key(self) -> str:
        """MinIO takes 3 to 20 characters: a 72-bit hash of the UID, with a fixed prefix."""
        return "rg" + hashlib.sha256(self.grant_uid.encode()).hexdigest()[:18]

    @property
    def policy(self) -> str:
        return f"havre-grant-{self._hex}"

    @property
    def role(self) -> str:
        return f"rg_{self._hex}"

    @property
    def secret(self) -> str:
        return f"havre-grant-{self._hex}"

    @property
    def record(self) -> str:
        """The text recording the grant (policy ``ID``, role ``COMMENT``)."""
        return f"{GRANT_UID_KEY}={self.grant_uid}"


def render_read_policy(credentials: GrantCredentials, location: DatasetLocation) -> dict[str, Any]:
    """The grant user's policy: read the dataset's prefix (list it, get its objects,
    locate its bucket) and nothing else; its ``ID`` records the grant's UID."""
    return {
        "ID": credentials.record,
        "Version": POLICY_VERSION,
        "Statement": dataset_read_statements([location]),
    }


def remote_grant_state(
    grant: GrantRecord, dataset: DatasetRecord | None, problem: Check | None, now: dt.datetime
) -> GrantState:
    """The checks of a grant whose workspace runs at ``grant.reader``: as a local grant's,
    with ``Reader`` in place of the workspace's (``grants.grant_state``)."""
    spec = grant.spec
    if spec is None:
        invalid = Check("Valid", False, "InvalidSpec", grant.spec_problem or "invalid spec")
        return GrantState((invalid,), "", grant.dataset_uid)
    reader = Check(
        "Reader",
        True,
        "RemoteWorkspace",
        f"Workspace {spec.workspace} runs at provider {grant.reader}; it reads {spec.dataset} "
        "with credentials issued here for this grant only.",
    )
    ds_check, ds_uid = _bind("Dataset", spec.dataset, grant.dataset_uid, grant, dataset, False)
    checks = [Check("Valid", True, "Valid", "The spec is valid."), reader, ds_check]
    if problem is not None:
        checks.append(Check("DatasetValid", False, problem.reason, problem.message))
    reader_name = f"{spec.workspace} (provider {grant.reader})"
    checks.append(active_check(checks, spec, grant.deleting, now, reader_name))
    return GrantState(tuple(checks), "", ds_uid)


@dataclass(frozen=True)
class HolderEndpoints:
    """Where the holder's object store and catalog database answer, and the CA their
    certificates chain to (PEM), as the reading side must verify them."""

    object_store_url: str
    catalog_host: str
    catalog_port: int
    ca_bundle: str


@dataclass(frozen=True)
class IssuedSecret:
    """The secret values of one grant's credentials (never logged, never in status)."""

    s3_secret_key: str
    catalog_password: str

    def __repr__(self) -> str:
        return "IssuedSecret(***)"


def render_credentials_secret(
    credentials: GrantCredentials,
    grant: GrantRecord,
    dataset: DatasetRecord,
    endpoints: HolderEndpoints,
    issued: IssuedSecret,
) -> dict[str, Any]:
    """The Secret ``havre-federation-grants/havre-grant-<uid>`` holding a grant's credentials
    and everything a remote catalog needs (endpoints, CA, location, catalog names)."""
    assert grant.spec is not None and dataset.spec is not None
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": credentials.secret,
            "namespace": SECRET_NAMESPACE,
            "labels": {
                "app.kubernetes.io/managed-by": "havre",
                GRANT_UID_KEY: credentials.grant_uid,
            },
            "annotations": {
                "havre.io/grant": grant.name,
                "havre.io/dataset": dataset.name,
                "havre.io/workspace": grant.spec.workspace,
                READER_ANNOTATION: grant.reader,
            },
        },
        "stringData": {
            "s3-endpoint": endpoints.object_store_url,
            "s3-access-key": credentials.access_key,
            "s3-secret-key": issued.s3_secret_key,
            "bucket": dataset.spec.bucket,
            "prefix": dataset.spec.prefix,
            "catalog-host": endpoints.catalog_host,
            "catalog-port": str(endpoints.catalog_port),
            "catalog-database": names.dataset_database(dataset.name),
            "catalog-user": credentials.role,
            "catalog-password": issued.catalog_password,
            "catalog-name": dataset.name,
            "ca.pem": endpoints.ca_bundle,
            "expires": grant.spec.expires.isoformat().replace("+00:00", "Z"),
        },
    }
