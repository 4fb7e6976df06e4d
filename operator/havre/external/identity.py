"""What Havre needs from an identity provider's groups, independent of the product behind it.

Groups are addressed by path (``/havre/cardio/analyst``) and carry attributes; users are
addressed by their exact username, the identity every other system sees (the
``preferred_username`` claim). Keycloak implements it today (``havre.external.keycloak``);
obs may wrap it to time calls.

Failures are Havre errors: a provider that does not answer (refused connection, timeout,
5xx) raises ``DependencyUnavailable`` with reason ``IdentityProviderUnavailable``; a request
it refuses (4xx: the operator's client lacks a role, bad credentials) raises
``IdentityProviderRejected``. Messages name the endpoint and the operation, never a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from havre.errors import DependencyUnavailable, HavreError

UNAVAILABLE = "IdentityProviderUnavailable"

#: Group attributes: name -> values (Keycloak stores every attribute as a list).
Attributes = Mapping[str, tuple[str, ...]]


class IdentityProviderUnavailable(DependencyUnavailable):
    """The identity provider did not answer usefully; retried with backoff."""

    reason = UNAVAILABLE


class IdentityProviderRejected(HavreError):
    """The identity provider answered and refused (HTTP 4xx other than a missing object).

    Temporary: the fix (the operator client's roles or secret) lies outside the object.
    """

    reason = "IdentityProviderRejected"
    permanent = False


@dataclass(frozen=True)
class Group:
    """A group as the provider reports it."""

    id: str
    path: str
    attributes: Attributes = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, order=True)
class GroupMember:
    """A user in a group: its provider id and its username."""

    username: str
    id: str


class IdentityProvider(Protocol):
    """Groups and memberships of one realm. Every method is idempotent."""

    @property
    def endpoint(self) -> str:
        """Where the provider is, for messages (``https://id.example/realms/havre``)."""
        ...

    def group(self, path: str) -> Group | None:
        """The group at ``path`` (``/a/b``), or None when there is none."""
        ...

    def children(self, group: Group) -> list[Group]:
        """The direct subgroups of ``group``, with their attributes (every page)."""
        ...

    def create_group(self, parent: Group | None, name: str, attributes: Attributes) -> Group:
        """Create ``name`` under ``parent`` (top level when None) with ``attributes``; when it
        already exists, return the existing group unchanged (the caller checks it)."""
        ...

    def set_attributes(self, group: Group, attributes: Attributes) -> None:
        """Replace the group's attributes."""
        ...

    def delete_group(self, group: Group) -> bool:
        """Delete the group, its subgroups and their memberships. True when it existed."""
        ...

    def members(self, group: Group) -> list[GroupMember]:
        """Every direct member of ``group`` (every page)."""
        ...

    def add_member(self, group: Group, user_id: str) -> None:
        """Make the user a member of ``group`` (a no-op when it already is)."""
        ...

    def remove_member(self, group: Group, user_id: str) -> None:
        """Take the user out of ``group`` (a no-op when it is not a member)."""
        ...

    def user_id(self, username: str) -> str | None:
        """The id of the user whose username is exactly ``username``, or None."""
        ...
