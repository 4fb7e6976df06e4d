"""Issue and withdraw a remote grant's credentials at the member holding its data.

The pure part (names, policy, Secret, the grant's checks) is ``remote_grant.py``; this
module talks to the holder's object store, catalog database and API server. Withdrawal
runs every step even when one fails (the user first: it cuts object access at once, then
the role, whose sessions end with it, then the Secret), and raises the first failure
after trying them all, so that a grant's deletion waits for its revocation (kopf keeps
the finalizer and retries) and a failing catalog never keeps a MinIO user alive.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from havre.errors import HavreError
from havre.federation.remote_grant import (
    SECRET_NAMESPACE,
    GrantCredentials,
    HolderEndpoints,
    IssuedSecret,
    read_from_elsewhere,
    render_credentials_secret,
    render_read_policy,
)
from havre.kube.kinds import by_name
from havre.pipeline.conditions import Check
from havre.pipeline.grant_reconcile import state_of
from havre.pipeline.platform import Platform
from havre.pipeline.records import Catalogue, DatasetRecord, GrantRecord
from havre.pipeline.render.objectstore_policy import DatasetLocation

_log = logging.getLogger("havre.federation.holder")
SECRET = by_name("Secret")
CONDITION = "Credentials"


class NotHolder(HavreError):
    """This member has no object store or catalog database to issue credentials on."""

    reason = "NotHolder"


def endpoints(platform: Platform) -> HolderEndpoints:
    """The holder's object store and catalog database as its settings name them, with the
    CAs their certificates chain to (what the reading side verifies)."""
    storage, catalog = platform.settings.storage, platform.settings.catalog
    if storage is None or catalog is None:
        raise NotHolder("this member has no object store or catalog database settings")
    files = {f for f in (storage.ca_file, catalog.ca_file) if f}
    bundle = "".join(Path(f).read_text() for f in sorted(files))
    return HolderEndpoints(storage.url, catalog.host, catalog.port, bundle)


def _kept(platform: Platform, credentials: GrantCredentials) -> IssuedSecret | None:
    """The secrets issued earlier (the Secret outlives operator restarts), if any."""
    found = platform.cluster.get(SECRET, credentials.secret, SECRET_NAMESPACE)
    data = (found or {}).get("data") or {}
    if not data.get("s3-secret-key") or not data.get("catalog-password"):
        return None
    return IssuedSecret(
        base64.b64decode(data["s3-secret-key"]).decode(),
        base64.b64decode(data["catalog-password"]).decode(),
    )


def issue(platform: Platform, grant: GrantRecord, dataset: DatasetRecord) -> Check:
    """Issue (or repair) the grant's credentials; the ``Credentials`` check to report."""
    store, catalogs = platform.object_store, platform.catalog_database
    assert dataset.spec is not None
    credentials = GrantCredentials(grant.uid)
    try:
        if store is None or catalogs is None:
            raise NotHolder("this member has no object store or catalog database")
        where = endpoints(platform)
        issued = _kept(platform, credentials) or IssuedSecret(
            secrets.token_hex(24), secrets.token_hex(24)
        )
        location = DatasetLocation(dataset.spec.bucket, dataset.spec.prefix)
        store.ensure_policy(credentials.policy, render_read_policy(credentials, location))
        store.ensure_user(credentials.access_key, issued.s3_secret_key)
        store.attach_policy(credentials.policy, credentials.access_key)
        catalogs.ensure_grant_role(
            credentials.role, issued.catalog_password, dataset.name, credentials.record
        )
        platform.cluster.apply(
            render_credentials_secret(credentials, grant, dataset, where, issued)
        )
    except HavreError as exc:
        return Check(CONDITION, False, exc.reason, exc.message)
    return Check(
        CONDITION,
        True,
        "Issued",
        f"Credentials reading only {dataset.name} are in Secret "
        f"{SECRET_NAMESPACE}/{credentials.secret} on this member.",
    )


def withdraw(platform: Platform, grant_uid: str) -> list[str]:
    """Delete the grant's user, policy, role and Secret; what existed. Every step runs;
    the first failure is raised after the last step."""
    credentials = GrantCredentials(grant_uid)
    store, catalogs = platform.object_store, platform.catalog_database
    steps: list[tuple[str, Callable[[], object]]] = []
    if store is not None:
        steps += [
            (f"user {credentials.access_key}", lambda: store.delete_user(credentials.access_key)),
            (f"policy {credentials.policy}", lambda: store.delete_policy(credentials.policy)),
        ]
    if catalogs is not None:
        role = credentials.role
        steps.append((f"role {role}", lambda: catalogs.drop_grant_role(role)))
    steps.append((f"Secret {credentials.secret}", lambda: _delete_secret(platform, credentials)))
    done: list[str] = []
    failure: Exception | None = None
    for what, step in steps:
        try:
            if step():
                done.append(what)
        except Exception as exc:  # every step is tried; the first failure is raised last
            _log.warning("withdrawing %s of grant %s failed: %s", what, grant_uid, exc)
            failure = failure or exc
    if failure is not None:
        raise failure
    return done


def _delete_secret(platform: Platform, credentials: GrantCredentials) -> bool:
    if platform.cluster.get(SECRET, credentials.secret, SECRET_NAMESPACE) is None:
        return False
    platform.cluster.delete(SECRET, credentials.secret, SECRET_NAMESPACE)
    return True


def settle(
    platform: Platform,
    body: Mapping[str, Any],
    catalogue: Catalogue,
    now: dt.datetime,
    provider: str | None,
) -> Check | None:
    """For a grant read from another provider (None for any other grant): issue its
    credentials while it is in force, withdraw them otherwise (raising when that fails)."""
    grant = GrantRecord.from_body(body)
    if not read_from_elsewhere(grant, provider):
        # No longer read from elsewhere (its mark changed): what it was issued goes. A
        # failure here never holds up the ordinary grant's reconcile: retried next time.
        try:
            if provider is not None and _issued_before(platform, grant):
                withdraw(platform, grant.uid)
        except Exception as exc:
            _log.warning("withdrawing credentials of grant %s: %s", grant.name, exc)
        return None
    state = state_of(grant, catalogue, now, provider)
    dataset = catalogue.dataset(grant.dataset)
    if state.in_force and dataset is not None and dataset.spec is not None:
        return issue(platform, grant, dataset)
    withdraw(platform, grant.uid)
    return Check(CONDITION, False, "Withdrawn", "No credentials: the grant is not in force.")


def withdraw_deleted(platform: Platform, body: Mapping[str, Any], provider: str | None) -> None:
    """A grant being deleted on a federation's member: withdraw its credentials if it was
    marked as read from elsewhere or was issued some (whatever its mark says now)."""
    grant = GrantRecord.from_body(body)
    if provider is None:
        return
    if grant.reader or _issued_before(platform, grant):
        withdraw(platform, grant.uid)


def _issued_before(platform: Platform, grant: GrantRecord) -> bool:
    """Whether this member holds a Secret issued for the grant (one read)."""
    try:
        credentials = GrantCredentials(grant.uid)
    except ValueError:
        return False
    return platform.cluster.get(SECRET, credentials.secret, SECRET_NAMESPACE) is not None
