"""Who asked: the API server's admission requests for Havre's objects, observed.

A validating webhook (``render_webhook``; it always allows, and the API server ignores
it when the receiver is down, so it never blocks a change — least of all a revocation)
shows the receiver each CREATE, UPDATE of the spec, and DELETE of a Workspace, Dataset
or DatasetGrant with ``request.userInfo.username``, as the API server authenticated it.
The receiver writes each as a ``request`` record and keeps the latest one per object and
generation (or deletion) in memory, to fill ``by`` on the decision the operator then
sends. What is not attributable: a change made while the receiver was down, and a change
whose decision arrives after the receiver restarted (its ``request`` record is still in
the trail). Pure, but for the bounded memory of observations.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from havre.audit.events import iso

KINDS = ("workspaces", "datasets", "datasetgrants")
MEMORY = 10000


@dataclass(frozen=True)
class Observation:
    """One admitted request: who, what, on which object and generation."""

    key: tuple[str, str]
    username: str
    request_uid: str
    record: dict[str, Any]


def observe(review: Mapping[str, Any], now: dt.datetime) -> Observation | None:
    """The observation of one AdmissionReview request, or None when it changes nothing a
    decision depends on (a dry run, an update of metadata or finalizers only)."""
    request = review.get("request") or {}
    if request.get("dryRun"):
        return None
    operation = request.get("operation")
    obj = request.get("object") or {}
    old = request.get("oldObject") or {}
    if operation == "UPDATE" and obj.get("spec") == old.get("spec"):
        return None
    subject = old if operation == "DELETE" else obj
    meta = subject.get("metadata") or {}
    uid = str(meta.get("uid") or "")
    if operation not in ("CREATE", "UPDATE", "DELETE") or not uid:
        return None
    generation = "delete" if operation == "DELETE" else str(meta.get("generation") or 1)
    username = str((request.get("userInfo") or {}).get("username") or "")
    kind = (request.get("kind") or {}).get("kind")
    record = {
        "kind": "request",
        "time": iso(now),
        "person": username,
        "operation": operation,
        "object": {"kind": kind, "name": meta.get("name"), "uid": uid, "generation": generation},
        "workspace": (subject.get("spec") or {}).get("workspace")
        if kind == "DatasetGrant"
        else (meta.get("name") if kind == "Workspace" else None),
        "requestUid": request.get("uid"),
    }
    return Observation((uid, generation), username, str(request.get("uid") or ""), record)


def allow(review: Mapping[str, Any]) -> dict[str, Any]:
    """The webhook's answer: always allowed (it only observes)."""
    uid = (review.get("request") or {}).get("uid", "")
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": True},
    }


class Observations:
    """The latest observation per (object UID, generation), the oldest forgotten first."""

    def __init__(self, limit: int = MEMORY) -> None:
        self._items: collections.OrderedDict[tuple[str, str], Observation] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self.limit = limit

    def add(self, observation: Observation) -> None:
        with self._lock:
            self._items.pop(observation.key, None)
            self._items[observation.key] = observation
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def attribute(self, decision: dict[str, Any]) -> dict[str, Any]:
        """``decision`` with ``by`` from the request that made it, when one was observed."""
        if decision.get("by") or decision.get("attribution") != "admission":
            return decision
        obj = decision.get("object") or {}
        deleting = decision.get("action") in ("workspace-deleted", "grant-revoked")
        generation = "delete" if deleting else str(obj.get("generation") or "")
        with self._lock:
            seen = self._items.get((str(obj.get("uid") or ""), generation))
        if seen is None:
            return {**decision, "attribution": "unobserved"}
        return {**decision, "by": seen.username, "requestUid": seen.request_uid}


def render_webhook(
    ca_bundle: str, url: str | None = None, service: str | None = None
) -> dict[str, Any]:
    """The ValidatingWebhookConfiguration that shows the receiver Havre's object changes.

    ``url`` (a receiver outside the cluster, as in the local platform) or ``service``
    (``namespace/name:port`` of the receiver's Service) says where it is.
    """
    client: dict[str, Any] = {"caBundle": _b64(ca_bundle)}
    if url is not None:
        client["url"] = f"{url.rstrip('/')}/v1/admission"
    elif service is not None:
        ref, _, port = service.partition(":")
        namespace, name = ref.split("/", 1)
        client["service"] = {
            "namespace": namespace,
            "name": name,
            "path": "/v1/admission",
            "port": int(port or 443),
        }
    else:
        raise ValueError("the webhook needs the receiver's url or service")
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "havre-audit"},
        "webhooks": [
            {
                "name": "requests.audit.havre.io",
                "clientConfig": client,
                "rules": [
                    {
                        "apiGroups": ["havre.io"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE", "DELETE"],
                        "resources": list(KINDS),
                        "scope": "Cluster",
                    }
                ],
                # Observing must never stop a change, least of all a revocation.
                "failurePolicy": "Ignore",
                "sideEffects": "NoneOnDryRun",
                "timeoutSeconds": 5,
                "admissionReviewVersions": ["v1"],
                "matchPolicy": "Equivalent",
            }
        ],
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
