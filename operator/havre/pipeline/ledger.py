"""What the last full reconcile of each workspace established, so that an idle repair tick
costs no request at all.

A full reconcile reads the workspace's namespace (about twenty requests), the object store
and the catalog database. Done every minute for every workspace, that is the whole cost of
an idle operator. Instead, a repair tick first asks the ``Ledger`` whether anything the
reconcile depends on changed since the last full run that went through cleanly:

- the validated workspace, recomputed from memory only (the body kopf holds, the grants,
  datasets and size profile in the indexes, the secret material kept from that run) and
  compared by digest. It depends on the clock too: a grant or a workspace whose ``expires``
  has passed changes it, so expiry never waits for an audit (the scheduler fires at the
  exact time as well);
- a change the operator's watches saw on the objects that carry access (``forget``, from
  the watches on its RoleBindings, ClusterRoleBindings and namespaces);
- the audit time: a full reconcile at least every ``audit_interval`` seconds, jittered by
  20 % so that a thousand workspaces do not audit in the same minute. That run lists
  everything, reads the object store and the catalog database, and repairs any other drift.

Revocations never pass through here: a grant's deletion or expiry, a spec change and the
expiry timer call the full reconcile directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from havre.pipeline.dereference import Refs, recall
from havre.pipeline.material import Material
from havre.pipeline.records import Catalogue
from havre.pipeline.validate import InvalidWorkspace, ValidWorkspace, validate

JITTER = 0.2

log = logging.getLogger(__name__)


def digest(validated: ValidWorkspace | InvalidWorkspace) -> str:
    """A fingerprint of everything the renderers see but the secret material (frozen
    dataclasses and pydantic models: their repr is complete and ordered)."""
    return hashlib.sha256(repr(validated).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    digest: str
    material: Material
    provisioned: bool
    #: The member's provider the run saw (federation), as the settings gave it.
    provider: str | None
    #: When (``clock()``) the next full reconcile is due even if nothing changed.
    audit_at: float


class Ledger:
    """Per workspace name, the last clean full reconcile. Thread-safe."""

    def __init__(
        self,
        audit_interval: float,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._interval = audit_interval
        self._clock = clock
        self._jitter = jitter
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def record(self, refs: Refs, validated: ValidWorkspace | InvalidWorkspace) -> None:
        """After a full reconcile that went through cleanly: what it established."""
        spread = 1 + JITTER * (2 * self._jitter() - 1)
        entry = Entry(
            digest(validated),
            refs.material,
            refs.provisioned,
            refs.provider,
            self._clock() + self._interval * spread,
        )
        with self._lock:
            self._entries[refs.workspace.name] = entry

    def forget(self, name: str) -> None:
        """Something changed outside the inputs (or the run did not go through): the next
        tick reconciles in full."""
        with self._lock:
            self._entries.pop(name, None)

    def unchanged(self, body: Mapping[str, Any], catalogue: Catalogue, now: dt.datetime) -> bool:
        """Whether a full reconcile now would find its inputs as the last clean one did and
        no audit is due: then it would write nothing, and is skipped. No request."""
        name = body["metadata"]["name"]
        with self._lock:
            entry = self._entries.get(name)
        if entry is None:
            log.debug("workspace %s: no clean run on record, reconciling in full", name)
            return False
        if self._clock() >= entry.audit_at:
            log.debug("workspace %s: audit due, reconciling in full", name)
            return False
        refs = recall(body, catalogue, entry.material, entry.provisioned, provider=entry.provider)
        if digest(validate(refs, now)) != entry.digest:
            log.debug("workspace %s: inputs changed since the last clean run", name)
            return False
        return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
