"""An in-memory identity provider (the ``IdentityProvider`` protocol), for the pipeline's
unit tests; the integration tests prove the same behaviour on a real Keycloak."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from havre.external.identity import (
    Attributes,
    Group,
    GroupMember,
    IdentityProviderUnavailable,
)
from tests.unit.fakes import _Failing

KEYCLOAK_DOWN = IdentityProviderUnavailable("https://id/realms/havre: connection refused")


@dataclass
class FakeIdentity(_Failing):
    """Groups by path with attributes and member usernames; users by username."""

    users: set[str] = field(default_factory=lambda: {"alice", "bob", "carol", "dan"})
    groups: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    members_of: dict[str, set[str]] = field(default_factory=dict)
    fail: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return "https://id/realms/havre"

    def _group(self, path: str) -> Group:
        return Group(f"id-{path}", path, dict(self.groups[path]))

    def group(self, path: str) -> Group | None:
        self._call("group", path)
        return self._group(path) if path in self.groups else None

    def children(self, group: Group) -> list[Group]:
        self._call("children", group.path)
        depth = group.path.count("/") + 1
        return [
            self._group(p)
            for p in sorted(self.groups)
            if p.startswith(group.path + "/") and p.count("/") == depth
        ]

    def create_group(self, parent: Group | None, name: str, attributes: Attributes) -> Group:
        self._call("create_group", parent.path if parent else None, name)
        path = f"{parent.path if parent else ''}/{name}"
        if path not in self.groups:
            self.groups[path] = dict(attributes)
            self.members_of[path] = set()
        return self._group(path)

    def set_attributes(self, group: Group, attributes: Attributes) -> None:
        self._call("set_attributes", group.path)
        self.groups[group.path] = dict(attributes)

    def delete_group(self, group: Group) -> bool:
        self._call("delete_group", group.path)
        gone = [p for p in self.groups if p == group.path or p.startswith(group.path + "/")]
        for path in gone:
            del self.groups[path]
            self.members_of.pop(path, None)
        return bool(gone)

    def members(self, group: Group) -> list[GroupMember]:
        self._call("members", group.path)
        return [GroupMember(u, f"u-{u}") for u in sorted(self.members_of.get(group.path, ()))]

    def add_member(self, group: Group, user_id: str) -> None:
        self._call("add_member", group.path, user_id)
        self.members_of.setdefault(group.path, set()).add(user_id.removeprefix("u-"))

    def remove_member(self, group: Group, user_id: str) -> None:
        self._call("remove_member", group.path, user_id)
        self.members_of.get(group.path, set()).discard(user_id.removeprefix("u-"))

    def user_id(self, username: str) -> str | None:
        self._call("user_id", username)
        return f"u-{username}" if username in self.users else None

    def held(self, workspace: str = "cardio") -> dict[str, set[str]]:
        """Members of each role group of ``workspace``, by role."""
        prefix = f"/havre/{workspace}/"
        return {
            p.removeprefix(prefix): set(m)
            for p, m in self.members_of.items()
            if p.startswith(prefix)
        }
