"""The identity provider as the apply step sees it: both phases, and a memory of what was
applied, so an unchanged workspace does not cost the provider a full read on every
reconcile.

A membership change goes out at once (the plan differs from the one remembered); an
unchanged workspace is read again once per ``resync_seconds`` (drift repair). A failed or
partial run (an unknown member, the provider down) is forgotten, so the next run reads
everything again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from havre.external.identity import IdentityProvider
from havre.pipeline.apply_identity import (
    IdentityClaim,
    provision_identity,
    revoke_identity,
    teardown_identity,
)
from havre.pipeline.render.identity import IdentityPlan


class IdentitySync:
    """``revoke_identity`` / ``provision_identity`` / ``teardown_identity`` with memory."""

    def __init__(
        self,
        idp: IdentityProvider,
        resync_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = idp
        self._resync = resync_seconds
        self._clock = clock
        self._applied: dict[str, tuple[IdentityPlan, float]] = {}
        self._lock = threading.Lock()

    def _recent(self, plan: IdentityPlan) -> bool:
        with self._lock:
            seen = self._applied.get(plan.uid)
            if seen is not None and seen[0] == plan and self._clock() - seen[1] < self._resync:
                return True
            self._applied.pop(plan.uid, None)
            return False

    def revoke(self, plan: IdentityPlan, changes: list[str]) -> IdentityClaim:
        """Phase one, unless this very plan was applied less than ``resync_seconds`` ago."""
        if self._recent(plan):
            return IdentityClaim(skip=True)
        return revoke_identity(self.provider, plan, changes)

    def provision(self, plan: IdentityPlan, claimed: IdentityClaim, changes: list[str]) -> None:
        """Phase two; remembers the plan once the whole of it is in place."""
        if claimed.skip:
            return
        provision_identity(self.provider, plan, claimed, changes)
        with self._lock:
            self._applied[plan.uid] = (plan, self._clock())

    def teardown(self, root: str, workspace: str, uid: str) -> list[str]:
        """``teardown_identity``, forgetting what was applied for ``uid``."""
        self.forget(uid)
        return teardown_identity(self.provider, root, workspace, uid)

    def forget(self, uid: str) -> None:
        """Read the provider again on the next run for ``uid``."""
        with self._lock:
            self._applied.pop(uid, None)
