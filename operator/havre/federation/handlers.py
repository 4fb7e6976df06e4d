"""Hub mode: kopf handlers and their registration.

Only watch-event handlers, which store nothing on the objects: kopf's bookkeeping
annotations on a hub Workspace would be propagated to the member, where the member's own
operator would take them for its own. A resync thread re-checks every workspace, so a
member that stops answering turns into ``MemberUnreachable`` without any event.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import kopf

from havre.api import GROUP, VERSION
from havre.errors import HavreError
from havre.federation.hub import (
    DATASET,
    GRANT,
    WORKSPACE,
    check_grant,
    install_interpreter,
    refresh_dataset,
    refresh_grant,
    refresh_workspace,
)
from havre.federation.hub_remote import sweep_copies
from havre.kube.cluster import Cluster
from havre.settings import FederationSettings

log = logging.getLogger("havre.federation")


@dataclass
class HubContext:
    cluster: Cluster
    settings: FederationSettings
    stop: threading.Event = field(default_factory=threading.Event)
    _locks: defaultdict[str, threading.Lock] = field(
        default_factory=lambda: defaultdict(threading.Lock)
    )

    def _guarded(self, key: str, action: Callable[[Cluster, str], object], name: str) -> None:
        """One object at a time; a failing read or write is retried by the next round."""
        with self._locks[key]:
            try:
                action(self.cluster, name)
            except HavreError as exc:
                log.warning("%s: %s: %s", key, exc.reason, exc)
            except Exception:
                # The resync thread must outlive any one object's surprise.
                log.exception("%s: unexpected failure", key)

    def refresh(self, name: str) -> None:
        self._guarded(f"workspace/{name}", refresh_workspace, name)

    def refresh_dataset(self, name: str) -> None:
        self._guarded(f"dataset/{name}", refresh_dataset, name)
        for grant in self._grants(dataset=name):
            self.refresh_grant(grant)

    def refresh_grant(self, name: str) -> None:
        self._guarded(f"grant/{name}", refresh_grant, name)

    def refresh_grants_of(self, workspace: str) -> None:
        for grant in self._grants(workspace=workspace):
            self.refresh_grant(grant)

    def _grants(self, **match: str) -> list[str]:
        try:
            grants = self.cluster.list(GRANT)
        except HavreError as exc:
            log.warning("listing grants: %s", exc)
            return []
        return [
            g["metadata"]["name"]
            for g in grants
            if all(g.get("spec", {}).get(k) == v for k, v in match.items())
        ]

    def refresh_all(self) -> None:
        for kind, refresh in (
            (WORKSPACE, self.refresh),
            (DATASET, self._refresh_dataset_only),
            (GRANT, self.refresh_grant),
        ):
            try:
                names = [o["metadata"]["name"] for o in self.cluster.list(kind)]
            except HavreError as exc:
                log.warning("listing %s: %s", kind.plural, exc)
                continue
            for name in names:
                refresh(name)

    def sweep_copies(self) -> None:
        """Carried credentials no live remote grant needs go (federation/carry.py)."""
        self._guarded("carried-credentials", sweep_copies, "")

    def _refresh_dataset_only(self, name: str) -> None:
        self._guarded(f"dataset/{name}", refresh_dataset, name)

    def resync_forever(self) -> None:
        while not self.stop.wait(self.settings.resync_interval):
            self.refresh_all()
            self.sweep_copies()


def _ctx(memo: kopf.Memo) -> HubContext:
    ctx: HubContext = memo["hub"]
    return ctx


def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60
    settings.execution.max_workers = 8
    fed = _ctx(memo).settings
    if fed.webhook_port is not None:
        settings.admission.server = kopf.WebhookServer(
            addr=fed.webhook_host,
            host=fed.webhook_host,
            port=fed.webhook_port,
            certfile=fed.webhook_cert_file,
            pkeyfile=fed.webhook_key_file,
            cafile=fed.webhook_ca_file,
        )
        settings.admission.managed = "havre-hub.havre.io"


def start(memo: kopf.Memo, **_: Any) -> None:
    """Install the interpreter customization, then start the periodic resync."""
    ctx = _ctx(memo)
    install_interpreter(ctx.cluster)
    threading.Thread(target=ctx.resync_forever, name="hub-resync", daemon=True).start()


def stop(memo: kopf.Memo, **_: Any) -> None:
    _ctx(memo).stop.set()


def on_workspace(name: str, type: str, memo: kopf.Memo, **_: Any) -> None:
    if type != "DELETED":
        _ctx(memo).refresh(name)


def on_binding(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    resource = body.get("spec", {}).get("resource", {})
    if not resource.get("apiVersion", "").startswith(GROUP):
        return
    ctx, name = _ctx(memo), resource.get("name", "")
    if resource.get("kind") == "Workspace":
        ctx.refresh(name)
        ctx.refresh_grants_of(name)
    elif resource.get("kind") == "Dataset":
        ctx.refresh_dataset(name)


def on_cluster(memo: kopf.Memo, **_: Any) -> None:
    _ctx(memo).refresh_all()


def on_dataset(name: str, type: str, memo: kopf.Memo, **_: Any) -> None:
    if type != "DELETED":
        _ctx(memo).refresh_dataset(name)


def on_grant(name: str, body: kopf.Body, type: str, memo: kopf.Memo, **_: Any) -> None:
    ctx = _ctx(memo)
    if type != "DELETED":
        ctx.refresh_grant(name)
    else:
        ctx.sweep_copies()
    workspace = body.get("spec", {}).get("workspace")
    if workspace:
        ctx.refresh(workspace)


def validate_grant(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Admission: refuse a grant that would move resident data off its provider."""
    refusal = check_grant(_ctx(memo).cluster, dict(body))
    if refusal is not None:
        raise kopf.AdmissionError(refusal, code=403)


def register(fed: FederationSettings) -> None:
    """Register hub-mode handlers on kopf's default registry."""
    kopf.on.startup()(configure)
    kopf.on.startup()(start)
    kopf.on.cleanup()(stop)
    kopf.on.event(GROUP, VERSION, "workspaces")(on_workspace)
    kopf.on.event(GROUP, VERSION, "datasetgrants")(on_grant)
    kopf.on.event(GROUP, VERSION, "datasets")(on_dataset)
    kopf.on.event("work.karmada.io", "v1alpha2", "clusterresourcebindings")(on_binding)
    kopf.on.event("cluster.karmada.io", "v1alpha1", "clusters")(on_cluster)
    if fed.webhook_port is not None:
        # Never on DELETE: revoking a grant must always pass. Persistent: the configuration
        # stays when the operator stops, so grants fail closed while nobody can check them.
        kopf.on.validate(
            GROUP, VERSION, "datasetgrants", operations=["CREATE", "UPDATE"], persistent=True
        )(validate_grant)
