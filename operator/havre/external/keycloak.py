"""``IdentityProvider`` on Keycloak's admin API (``python-keycloak``'s ``KeycloakAdmin``).

What the server and the client do that shapes this code (Keycloak 26, python-keycloak 7.1):
- ``create_group(..., skip_exists=True)`` answers None for a group that exists (409): the
  group is then read back by path;
- ``get_group_by_path`` raises on 404 instead of answering None;
- member and children lists are paginated (``__fetch_all`` walks every page when no
  ``first``/``max`` is given);
- the client fetches its service-account token on first use and again on a 401, so a
  Keycloak that restarts needs nothing from us.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from keycloak import KeycloakAdmin, KeycloakConnectionError, KeycloakError

from havre.external.identity import (
    Attributes,
    Group,
    GroupMember,
    IdentityProviderRejected,
    IdentityProviderUnavailable,
)

T = TypeVar("T")
# Statuses meaning "not now" rather than "no": the same request may succeed later.
_RETRYABLE = frozenset({408, 429})
_NOT_FOUND = 404


@contextmanager
def translated(endpoint: str, action: str) -> Iterator[None]:
    """Run python-keycloak calls, raising Havre errors for their failures."""
    try:
        yield
    except KeycloakConnectionError as exc:
        raise IdentityProviderUnavailable(
            f"identity provider {endpoint} unavailable while {action}: no answer"
        ) from exc
    except KeycloakError as exc:
        status = int(exc.response_code or 0)
        if status == 0 or status >= 500 or status in _RETRYABLE:
            raise IdentityProviderUnavailable(
                f"identity provider {endpoint} unavailable while {action}: HTTP {status}"
            ) from exc
        raise IdentityProviderRejected(
            f"identity provider {endpoint} refused a request while {action}: HTTP {status}"
        ) from exc
    except (requests.RequestException, OSError) as exc:
        # A transport failure python-keycloak let through (its token refresh, a reset
        # connection): still "no answer", never an unexpected crash of the reconcile.
        raise IdentityProviderUnavailable(
            f"identity provider {endpoint} unavailable while {action}: {type(exc).__name__}"
        ) from exc


def _attributes(raw: Mapping[str, Any] | None) -> Attributes:
    return {key: tuple(values) for key, values in (raw or {}).items()}


def _group(raw: Mapping[str, Any]) -> Group:
    return Group(id=raw["id"], path=raw["path"], attributes=_attributes(raw.get("attributes")))


class KeycloakIdentity:
    """One realm of one Keycloak, reached as a confidential client's service account.

    The client secret stays inside the python-keycloak client: no message or repr shows it.
    """

    def __init__(
        self,
        url: str,
        realm: str,
        client_id: str,
        client_secret: str,
        *,
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._endpoint = f"{url.rstrip('/')}/realms/{realm}"
        self._admin = KeycloakAdmin(
            server_url=url.rstrip("/") + "/",
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            # A CA file when given, else the system's trust store: never unverified.
            verify=ca_file or True,
            timeout=int(timeout),
        )

    def __repr__(self) -> str:
        return f"KeycloakIdentity(endpoint={self._endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The realm's URL, for messages."""
        return self._endpoint

    def _call(self, action: str, call: Callable[[], T]) -> T:
        with translated(self._endpoint, action):
            return call()

    def _unless_missing(self, action: str, call: Callable[[], T]) -> T | None:
        """``call``'s answer, or None when the server says the object does not exist."""
        with translated(self._endpoint, action):
            try:
                return call()
            except KeycloakError as exc:
                if exc.response_code == _NOT_FOUND:
                    return None
                raise

    def group(self, path: str) -> Group | None:
        """The group at ``path``, or None."""
        raw = self._unless_missing(
            f"reading group {path}",
            lambda: self._admin.get_group_by_path(quote(path.lstrip("/"), safe="/")),
        )
        return None if raw is None else _group(raw)

    def children(self, group: Group) -> list[Group]:
        """Direct subgroups with attributes, every page ([] once the group is gone)."""
        raw = self._unless_missing(
            f"listing subgroups of {group.path}",
            lambda: self._admin.get_group_children(group.id, {"briefRepresentation": False}),
        )
        return [_group(child) for child in raw or []]

    def create_group(self, parent: Group | None, name: str, attributes: Attributes) -> Group:
        """Create the group, or return the existing one (its attributes are not changed)."""
        payload = {"name": name, "attributes": {k: list(v) for k, v in attributes.items()}}
        path = f"{parent.path if parent else ''}/{name}"
        created = self._call(
            f"creating group {path}",
            lambda: self._admin.create_group(
                payload, parent=parent.id if parent else None, skip_exists=True
            ),
        )
        group = self.group(path)
        if group is None:
            # Created (or existing) a moment ago and gone now: someone deleted it meanwhile.
            raise IdentityProviderUnavailable(
                f"identity provider {self._endpoint}: group {path} vanished after "
                f"{'creation' if created else 'being found'}"
            )
        return group

    def set_attributes(self, group: Group, attributes: Attributes) -> None:
        """Replace the group's attributes (its name and subgroups are kept)."""
        payload = {"name": group.name, "attributes": {k: list(v) for k, v in attributes.items()}}
        self._call(
            f"updating attributes of {group.path}",
            lambda: self._admin.update_group(group.id, payload),
        )

    def delete_group(self, group: Group) -> bool:
        """Delete the group and everything under it. True when it existed."""
        done = self._unless_missing(
            f"deleting group {group.path}", lambda: self._admin.delete_group(group.id)
        )
        return done is not None

    def members(self, group: Group) -> list[GroupMember]:
        """Every direct member, every page, in username order ([] once the group is gone)."""
        raw = self._unless_missing(
            f"listing members of {group.path}",
            lambda: self._admin.get_group_members(group.id, {"briefRepresentation": True}),
        )
        return sorted(GroupMember(username=u["username"], id=u["id"]) for u in raw or [])

    def add_member(self, group: Group, user_id: str) -> None:
        """Add the user to the group."""
        self._call(
            f"adding a member to {group.path}",
            lambda: self._admin.group_user_add(user_id, group.id),
        )

    def remove_member(self, group: Group, user_id: str) -> None:
        """Remove the user from the group."""
        self._call(
            f"removing a member from {group.path}",
            lambda: self._admin.group_user_remove(user_id, group.id),
        )

    def user_id(self, username: str) -> str | None:
        """The id of the user with exactly this username, or None."""
        users = self._call(
            f"looking up user {username}",
            lambda: self._admin.get_users(
                {"username": username, "exact": True, "briefRepresentation": True}
            ),
        )
        # Keycloak lowercases usernames; "exact" still matches case-insensitively, so compare.
        for user in users:
            if user.get("username") == username:
                return str(user["id"])
        return None
