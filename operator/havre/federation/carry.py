"""The hub carries a remote grant's credentials from the holder's member to the reader's.

Karmada in push mode brings back only status, and status never carries secrets; the hub
already holds each member's credentials (push mode), with which it may manage Secrets in
the member's ``havre-federation`` and ``havre-federation-grants`` namespaces only
(devstack/devstack/federation_join.py).
Copying adds no trust the hub did not have. The hub:

- reads the holder's grant and checks that it is the copy of this hub grant (Karmada's
  annotation ``resourcetemplate.karmada.io/uid``), then the Secret the holder issued for
  it (named after the holder grant's UID);
- writes the same data into a Secret of the same name in the reader's
  ``havre-federation-grants``, labelled with the hub grant's UID;
- deletes every copy whose hub grant is gone, expired or no longer read from elsewhere
  (``sweep``, at each resync and when a grant is deleted).

The credentials are already dead when a copy goes: revocation happens at the holder, first
and on its own (``holder.py``). Nothing here logs, reports or posts a Secret's data.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes import client

from havre.api.names import READER_ANNOTATION
from havre.federation.kinds import CLUSTER
from havre.federation.remote_grant import SECRET_NAMESPACE, GrantCredentials
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

log = logging.getLogger("havre.federation.carry")
SECRET = by_name("Secret")
GRANT = by_name("DatasetGrant")
#: Karmada's record, on a member's copy, of the hub object it was made from.
TEMPLATE_UID = "resourcetemplate.karmada.io/uid"
#: Labels a carried copy with the UID of the hub grant it belongs to.
HUB_GRANT_UID = "havre.io/hub-grant-uid"


#: Clients by (member, endpoint, version of its credentials Secret): built once each.
_CLIENTS: dict[tuple[str, str, str], Cluster] = {}
#: Seconds a call to a member may take: a lost member must not hold the hub's resync long.
MEMBER_TIMEOUT = 10.0


def member_client(hub: Cluster, member: str) -> Cluster:
    """The member's API server as the hub reaches it (its Cluster object's endpoint, the
    token and CA of its ``secretRef``), verifying the member's certificate."""
    obj = hub.get(CLUSTER, member)
    if obj is None:
        raise LookupError(f"no member {member}")
    ref = obj["spec"]["secretRef"]
    secret = hub.get(SECRET, ref["name"], ref["namespace"]) or {}
    endpoint = obj["spec"]["apiEndpoint"]
    key = (member, endpoint, secret.get("metadata", {}).get("resourceVersion", ""))
    if key not in _CLIENTS:
        _CLIENTS[key] = _client(endpoint, secret.get("data") or {})
    return _CLIENTS[key]


def _client(endpoint: str, data: Mapping[str, str]) -> Cluster:
    configuration = client.Configuration()
    configuration.host = endpoint
    configuration.api_key = {"authorization": base64.b64decode(data["token"]).decode()}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as ca:
        ca.write(base64.b64decode(data["caBundle"]))
    configuration.ssl_ca_cert = ca.name
    configuration.verify_ssl = True
    return Cluster(client.ApiClient(configuration), timeout=MEMBER_TIMEOUT)


def render_copy(source: Mapping[str, Any], hub_grant_uid: str) -> dict[str, Any]:
    """The reader's copy of the holder's Secret: the same name and data, labelled with
    the hub grant's UID (what ``sweep`` binds it to)."""
    meta = source["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": meta["name"],
            "namespace": SECRET_NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "havre", HUB_GRANT_UID: hub_grant_uid},
            "annotations": dict(meta.get("annotations") or {}),
        },
        "data": dict(source.get("data") or {}),
    }


def live_remote_grants(grants: Iterable[Mapping[str, Any]]) -> dict[str, dt.datetime]:
    """Hub grants read from another provider (marked by the hub), not being deleted: their
    UID and expiry."""
    live = {}
    for grant in grants:
        meta = grant["metadata"]
        if not (meta.get("annotations") or {}).get(READER_ANNOTATION) or meta.get(
            "deletionTimestamp"
        ):
            continue
        raw = str((grant.get("spec") or {}).get("expires") or "")
        try:
            live[meta["uid"]] = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            continue  # an unreadable expiry keeps nothing alive
    return live


def carry(hub: Cluster, grant: Mapping[str, Any], holder: str, reader: str) -> bool:
    """Copy the holder's credentials for ``grant`` (the hub object) to ``reader``; False
    while the holder has issued none for it."""
    name, uid = grant["metadata"]["name"], grant["metadata"]["uid"]
    at_holder = member_client(hub, holder)
    copy = at_holder.get(GRANT, name)
    if copy is None or (copy["metadata"].get("annotations") or {}).get(TEMPLATE_UID) != uid:
        return False  # not (yet) the holder's copy of this very grant
    issued = at_holder.get(
        SECRET, GrantCredentials(copy["metadata"]["uid"]).secret, SECRET_NAMESPACE
    )
    if issued is None:
        return False
    member_client(hub, reader).apply(render_copy(issued, uid))
    return True


def stale(
    copies: Iterable[Mapping[str, Any]], live: Mapping[str, dt.datetime], now: dt.datetime
) -> list[str]:
    """Names of the copies whose hub grant (by UID) is not live or has expired."""
    found = []
    for secret in copies:
        uid = (secret["metadata"].get("labels") or {}).get(HUB_GRANT_UID, "")
        expires = live.get(uid)
        if expires is None or expires <= now:
            found.append(secret["metadata"]["name"])
    return sorted(found)


def sweep(hub: Cluster, live: Mapping[str, dt.datetime], now: dt.datetime) -> list[str]:
    """Delete, on every member, the copies no live remote grant needs; what was deleted."""
    deleted = []
    for obj in hub.list(CLUSTER):
        member = obj["metadata"]["name"]
        try:
            at = member_client(hub, member)
            copies = at.list(SECRET, SECRET_NAMESPACE, HUB_GRANT_UID)
            for name in stale(copies, live, now):
                at.delete(SECRET, name, SECRET_NAMESPACE)
                deleted.append(f"{member}/{name}")
        except Exception as exc:
            # A member that does not answer keeps its copies (dead keys) until the next
            # round; the other members are swept all the same.
            log.warning("sweeping carried credentials on member %s: %s", member, exc)
    return deleted
