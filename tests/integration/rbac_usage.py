"""Which permissions of a ClusterRole a recorded run used, from the API server's audit log.

A permission is one (API group, resource, verb). It counts as used when an audit event of
the service account shows it allowed (any status but 401/403); a server-side apply that
created its object (201) used ``create`` too, which the authorizer checked behind ``patch``.
A watch is seen when it starts (``ResponseStarted``): it completes only when it ends.
``bind`` on ClusterRoles is never a request of its own: the authorizer checks it when a
RoleBinding or ClusterRoleBinding is written, so such a write counts as using it.
A permission the operator only holds so that it may put it into a Role it creates (RBAC
lets nobody grant what they do not hold) counts as delegated, not unused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RBAC = "rbac.authorization.k8s.io"
BINDINGS = ("rolebindings", "clusterrolebindings")


@dataclass(frozen=True, order=True)
class Permission:
    group: str
    resource: str  # "pods" or "pods/log"
    verb: str

    def __str__(self) -> str:
        return f"{self.verb} {self.resource}" + (f".{self.group}" if self.group else "")


def granted(rules: Iterable[dict[str, Any]]) -> set[Permission]:
    """Every permission the rules grant, wildcards left as ``*``."""
    return {
        Permission(group, resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    }


def read_events(path: Path, username: str) -> list[dict[str, Any]]:
    """The completed requests of ``username`` (and its watches, once started) in a JSON-lines
    audit log."""
    events = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        stage = event.get("stage")
        if event["user"]["username"] != username:
            continue
        if stage == "ResponseComplete" or (stage == "ResponseStarted" and event["verb"] == "watch"):
            events.append(event)
    return events


def used(events: Iterable[dict[str, Any]]) -> set[Permission]:
    """The permissions the events show in use."""
    found: set[Permission] = set()
    for event in events:
        ref = event.get("objectRef")
        code = event.get("responseStatus", {}).get("code", 0)
        if ref is None or code in (401, 403):
            continue
        resource = ref["resource"] + (f"/{ref['subresource']}" if ref.get("subresource") else "")
        group = ref.get("apiGroup", "")
        found.add(Permission(group, resource, event["verb"]))
        if event["verb"] == "patch" and code == 201:
            found.add(Permission(group, resource, "create"))
        if (
            group == RBAC
            and resource in BINDINGS
            and event["verb"] in ("create", "patch", "update")
        ):
            found.add(Permission(RBAC, "clusterroles", "bind"))
    return found


def unused(
    role_rules: Iterable[dict[str, Any]],
    events: Iterable[dict[str, Any]],
    delegated_rules: Iterable[dict[str, Any]] = (),
) -> list[Permission]:
    """Permissions of the role neither used in the events nor delegated, sorted."""
    covered = used(events) | granted(delegated_rules)
    return sorted(p for p in granted(role_rules) if p not in covered)
