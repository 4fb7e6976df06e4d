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
from dataclasses import dataclass, field
from typing import Any

import kopf

from havre.api import GROUP, VERSION
from havre.errors import HavreError
from havre.federation.hub import WORKSPACE, check_grant, install_interpreter, refresh_workspace
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

    def refresh(self, name: str) -> None:
        """One workspace at a time; a failing read or write is retried by the next round."""
        with self._locks[name]:
            try:
                refresh_workspace(self.cluster, name)
            except HavreError as exc:
                log.warning("workspace %s: %s: %s", name, exc.reason, exc)

    def refresh_all(self) -> None:
        try:
            names = [w["metadata"]["name"] for w in self.cluster.list(WORKSPACE)]
        except HavreError as exc:
            log.warning("listing workspaces: %s", exc)
            return
        for name in names:
            self.refresh(name)

    def resync_forever(self) -> None:
        while not self.stop.wait(self.settings.resync_interval):
            self.refresh_all()


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
    if resource.get("kind") == "Workspace" and resource.get("apiVersion", "").startswith(GROUP):
        _ctx(memo).refresh(resource["name"])


def on_cluster(memo: kopf.Memo, **_: Any) -> None:
    _ctx(memo).refresh_all()


def on_grant(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    workspace = body.get("spec", {}).get("workspace")
    if workspace:
        _ctx(memo).refresh(workspace)


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
    kopf.on.event("work.karmada.io", "v1alpha2", "clusterresourcebindings")(on_binding)
    kopf.on.event("cluster.karmada.io", "v1alpha1", "clusters")(on_cluster)
    if fed.webhook_port is not None:
        # Never on DELETE: revoking a grant must always pass.
        kopf.on.validate(GROUP, VERSION, "datasetgrants", operations=["CREATE", "UPDATE"])(
            validate_grant
        )
