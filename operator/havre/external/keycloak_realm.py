"""``havre realm setup``: bring a Keycloak realm to what Havre needs (``realm_spec.py``).

Idempotent: every object is read first and written only when a field Havre manages differs,
so a second run writes nothing (the result lists what changed). Fields Havre does not manage
are left as the administrator set them. Runs with a realm administrator's credentials (the
operator's own client cannot create clients, by design).

The operator client's secret: when one is given it is set (a platform that generates its
secrets itself, like the local devstack); otherwise Keycloak's is kept and returned, for
the administrator to store in the operator's Secret. It never appears in ``changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from keycloak import KeycloakAdmin, KeycloakError

from havre.external.identity import IdentityProviderRejected
from havre.external.keycloak import translated
from havre.external.realm_spec import (
    OPERATOR_ROLES,
    RealmOptions,
    render_clients,
    render_realm,
)

T = TypeVar("T")
_MANAGEMENT_CLIENT = "realm-management"


@dataclass
class RealmResult:
    """What a run changed, and the operator client's secret (never printed by default)."""

    changes: list[str] = field(default_factory=list)
    operator_secret: str = field(default="", repr=False)
    metrics_secret: str = field(default="", repr=False)


def _differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """True when a field of ``wanted`` is not what ``current`` holds (nested maps compared
    key by key, so server-side extras do not count; lists as sets, as Keycloak keeps them)."""
    for key, value in wanted.items():
        held = current.get(key)
        if isinstance(value, Mapping):
            if not isinstance(held, Mapping) or _differs(held, value):
                return True
        elif isinstance(value, list):
            if not isinstance(held, list) or sorted(map(str, held)) != sorted(map(str, value)):
                return True
        elif held != value:
            return True
    return False


def _realm_or_none(admin: KeycloakAdmin, realm: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = admin.get_realm(realm)
    except KeycloakError as exc:
        if exc.response_code == 404:
            return None
        raise
    return found


class RealmSetup:
    """Applies ``RealmOptions`` through an admin connection to one Keycloak."""

    def __init__(self, admin: KeycloakAdmin, endpoint: str) -> None:
        self._admin = admin
        self._endpoint = endpoint

    def _call(self, action: str, call: Callable[[], T]) -> T:
        with translated(self._endpoint, action):
            return call()

    def _create(self, action: str, call: Callable[[], object], exists: Callable[[], bool]) -> None:
        """Create something; a conflict is fine when it exists now. python-keycloak retries
        a POST that timed out, so a slow creation can come back as a conflict (and, with
        ``skip_exists``, as an unexpected answer rather than an error)."""
        try:
            with translated(self._endpoint, action):
                try:
                    call()
                except KeycloakError as exc:
                    if exc.response_code != 409:
                        raise
        except (IdentityProviderRejected, TypeError, KeyError):
            if not exists():
                raise
        if not exists():
            raise IdentityProviderRejected(
                f"identity provider {self._endpoint}: nothing to show after {action}"
            )

    def run(
        self,
        options: RealmOptions,
        operator_secret: str | None = None,
        metrics_secret: str | None = None,
    ) -> RealmResult:
        """Realm, clients, mappers, the operator's roles, both confidential clients'
        secrets; what changed."""
        result = RealmResult()
        self._realm(options, result)
        ids = {}
        for client in render_clients(options):
            ids[client["clientId"]] = self._client(client, result)
        operator = ids[options.operator_client]
        self._operator_roles(operator, options.operator_client, result)
        result.operator_secret = self._secret(
            operator, options.operator_client, operator_secret, result
        )
        result.metrics_secret = self._secret(
            ids[options.metrics_client], options.metrics_client, metrics_secret, result
        )
        return result

    def _realm(self, options: RealmOptions, result: RealmResult) -> None:
        wanted = render_realm(options)
        admin = self._admin
        current = self._call(
            f"reading realm {options.realm}", lambda: _realm_or_none(admin, options.realm)
        )
        if current is None:
            self._create(
                "creating the realm",
                lambda: admin.create_realm(wanted),
                lambda: _realm_or_none(admin, options.realm) is not None,
            )
            result.changes.append(f"realm {options.realm}")
            return
        if _differs(current, wanted):
            self._call("updating the realm", lambda: admin.update_realm(options.realm, wanted))
            result.changes.append(f"realm {options.realm} settings")

    def _client(self, wanted: dict[str, Any], result: RealmResult) -> str:
        admin = self._admin
        name = wanted["clientId"]
        mappers = wanted["protocolMappers"]
        settings = {k: v for k, v in wanted.items() if k != "protocolMappers"}
        client_id = self._call(f"looking up client {name}", lambda: admin.get_client_id(name))
        if client_id is None:
            self._create(
                f"creating client {name}",
                lambda: admin.create_client(wanted),
                lambda: admin.get_client_id(name) is not None,
            )
            result.changes.append(f"client {name}")
            return str(admin.get_client_id(name))
        current = self._call(f"reading client {name}", lambda: admin.get_client(client_id))
        if _differs(current, settings):
            self._call(f"updating client {name}", lambda: admin.update_client(client_id, settings))
            result.changes.append(f"client {name} settings")
        self._mappers(client_id, name, mappers, result)
        return str(client_id)

    def _mappers(
        self, client_id: str, client: str, wanted: list[dict[str, Any]], result: RealmResult
    ) -> None:
        admin = self._admin
        current = {
            m["name"]: m
            for m in self._call(
                f"reading mappers of {client}", lambda: admin.get_mappers_from_client(client_id)
            )
        }
        for mapper in wanted:
            found = current.get(mapper["name"])
            if found is None:
                self._create(
                    f"adding mapper {mapper['name']} to {client}",
                    partial(admin.add_mapper_to_client, client_id, mapper),
                    partial(self._has_mapper, client_id, mapper["name"]),
                )
                result.changes.append(f"mapper {client}/{mapper['name']}")
            elif _differs(found, mapper):
                self._call(
                    f"updating mapper {mapper['name']} of {client}",
                    partial(
                        admin.update_client_mapper,
                        client_id,
                        found["id"],
                        {**mapper, "id": found["id"]},
                    ),
                )
                result.changes.append(f"mapper {client}/{mapper['name']} settings")

    def _has_mapper(self, client_id: str, name: str) -> bool:
        mappers = self._admin.get_mappers_from_client(client_id)
        return any(m["name"] == name for m in mappers)

    def _operator_roles(self, client_id: str, client: str, result: RealmResult) -> None:
        admin = self._admin
        user = self._call(
            f"reading the service account of {client}",
            lambda: admin.get_client_service_account_user(client_id),
        )
        management = self._call(
            "looking up realm-management", lambda: admin.get_client_id(_MANAGEMENT_CLIENT)
        )
        if management is None:
            raise IdentityProviderRejected(f"realm has no {_MANAGEMENT_CLIENT} client")
        held = {
            r["name"]
            for r in self._call(
                f"reading the roles of {client}",
                lambda: admin.get_client_roles_of_user(user["id"], management),
            )
        }
        missing = [r for r in OPERATOR_ROLES if r not in held]
        if not missing:
            return
        roles = [
            self._call(f"reading role {r}", partial(admin.get_client_role, management, r))
            for r in missing
        ]
        self._call(
            f"granting {client} {', '.join(missing)}",
            lambda: admin.assign_client_role(user["id"], management, roles),
        )
        result.changes.append(f"roles of {client}: {', '.join(missing)}")

    def _secret(self, client_id: str, client: str, wanted: str | None, result: RealmResult) -> str:
        admin = self._admin
        current = self._call(
            f"reading the secret of client {client}", lambda: admin.get_client_secrets(client_id)
        )
        value = str(current.get("value") or "")
        if wanted is None or wanted == value:
            return value
        self._call(
            f"setting the secret of client {client}",
            lambda: admin.update_client(client_id, {"secret": wanted}),
        )
        result.changes.append(f"client {client} secret")
        return wanted
