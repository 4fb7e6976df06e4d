"""Who may do what in a workspace's Trino: file-based access control rules and the group file.

Trino 476's file-based system access control (``access-control.name=file``) reads
``rules.json``; its file group provider (``group-provider.name=file``) maps each user to the
groups of ``group.txt``. The rules name groups only (one per role), so a membership change
rewrites the group file and never the rules. Every list of rules ends without a match for
anyone else, and Trino denies what no rule allows, so a non-member can do nothing:

- ``workspace``: owners and analysts read and write; nobody else reaches it;
- ``workspace_readonly`` (the same tables through a read-only connector): every member reads;
- each granted dataset's catalog: read only, for every member;
- ``system`` (client metadata such as ``system.jdbc``): read only, for every member;
- ``CALL`` of any procedure: nobody (``register_table``, ``unregister_table``, ``migrate``
  would attach or detach tables by storage path, bypassing the catalog's own rules);
- the Iceberg session property that shortens snapshot retention: nobody.

Why viewers read through their own catalog: Trino 476 lets anyone who may read a table run
its table procedures (``ALTER TABLE ... EXECUTE rollback_to_snapshot``, ``optimize``,
``expire_snapshots``): the file-based rules have no say over them. A viewer with read-only
access to ``workspace`` could roll a table back (checked on Trino 476); in a catalog whose
connector is read-only (``iceberg.security=read_only``) every procedure is refused.

What the rules cannot say about locations (Trino checks no table property, e.g.
``location``) is closed by the catalogs' own settings (trino_config.py) and by the object
store policy of the workspace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from havre.api import names
from havre.api.model import BUCKET_PATTERN, PREFIX_PATTERN, Role
from havre.errors import InvalidSpec
from havre.pipeline.render.identity import access_holders
from havre.pipeline.validate import ValidWorkspace

#: The workspace's own read-write Iceberg catalog.
WORKSPACE_CATALOG = "workspace"
#: The same tables, through a connector that refuses every write and procedure.
WORKSPACE_READONLY_CATALOG = "workspace_readonly"
#: Catalog names Trino or Havre already use; a dataset catalog may not take them.
RESERVED_CATALOGS = names.RESERVED_CATALOGS
assert {WORKSPACE_CATALOG, WORKSPACE_READONLY_CATALOG} <= RESERVED_CATALOGS
CATALOG_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
DATABASE_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"
DATASET_PATTERN = r"^[a-z]([a-z0-9]|-[a-z0-9]){0,39}$"
#: Table privileges of a member who may write (OWNERSHIP: create, drop, alter).
WRITE_PRIVILEGES = ("SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP")
#: Session properties nobody may set: shortening retention would let one member erase the
#: snapshots the others rely on to undo a mistake.
LOCKED_SESSION_PROPERTIES = ("expire_snapshots_min_retention",)
METRICS_USER_PATTERN = r"^[a-z0-9][a-z0-9._@-]{0,127}$"


def _check(value: str, pattern: str, what: str) -> None:
    # fullmatch: names end up in regular expressions, file names and JDBC URLs.
    if not re.fullmatch(pattern, value):
        raise InvalidSpec(f"{what} {value!r} does not match {pattern}", reason="InvalidGrant")


@dataclass(frozen=True, order=True)
class GrantedCatalog:
    """A dataset the workspace may read now, as one read-only Trino catalog.

    ``database`` holds the dataset's Iceberg JDBC catalog; ``bucket``/``prefix`` is where
    its files live. Construction checks every name, so a grant that exists is safe to put
    in a rule, a file name or a URL.
    """

    catalog_name: str
    dataset: str
    database: str
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        _check(self.catalog_name, CATALOG_NAME_PATTERN, "catalog name")
        if self.catalog_name in RESERVED_CATALOGS:
            raise InvalidSpec(
                f"catalog name {self.catalog_name!r} is reserved", reason="InvalidGrant"
            )
        _check(self.dataset, DATASET_PATTERN, "dataset")
        _check(self.database, DATABASE_PATTERN, "catalog database")
        _check(self.bucket, BUCKET_PATTERN, "dataset bucket")
        _check(self.prefix, PREFIX_PATTERN, "dataset prefix")

    @classmethod
    def for_dataset(cls, dataset: str, bucket: str, prefix: str) -> GrantedCatalog:
        """The catalog of a granted Dataset: named after it with ``_`` for ``-`` (dataset
        names hold no ``_``, so no two collide), reading the database its publisher wrote."""
        return cls(names.catalog(dataset), dataset, names.dataset_database(dataset), bucket, prefix)


def group_name(role: Role) -> str:
    """The Trino group of a role (the group file lists its members)."""
    return role.value


def _any_of(names: Iterable[str]) -> str:
    # Trino matches each field as a whole-string regex; names are checked [a-z0-9_] words.
    return "|".join(sorted(set(names)))


def _writers() -> str:
    return _any_of(group_name(r) for r in (Role.OWNER, Role.ANALYST))


def _members() -> str:
    return _any_of(group_name(r) for r in Role)


def _exactly(user: str) -> str:
    # Trino matches ``user`` as a whole-string Java regex: the name, literally (the pattern
    # leaves ``.`` as the only character with a meaning there).
    _check(user, METRICS_USER_PATTERN, "metrics user")
    return user.replace(".", r"\.")


def render_access_rules(
    grants: Iterable[GrantedCatalog], metrics_user: str | None = None
) -> dict[str, Any]:
    """The rules document (``rules.json``) for a workspace with these active grants.

    ``metrics_user`` (the metrics scraper) may read system information, which is what
    Trino asks of a caller of ``/metrics``; it is in no group, so no other rule matches it:
    no catalog, no table, no query. Everyone else is denied system information.
    """
    datasets = sorted({g.catalog_name for g in grants})
    read_only = _any_of(["system", WORKSPACE_READONLY_CATALOG, *datasets])
    catalogs: list[dict[str, Any]] = [
        {"group": _writers(), "catalog": WORKSPACE_CATALOG, "allow": "all"},
        {"group": _members(), "catalog": read_only, "allow": "read-only"},
    ]
    tables: list[dict[str, Any]] = [
        {"group": _writers(), "catalog": WORKSPACE_CATALOG, "privileges": list(WRITE_PRIVILEGES)},
        {"group": _members(), "catalog": read_only, "privileges": ["SELECT"]},
    ]
    return {
        "catalogs": catalogs,
        "schemas": [{"group": _writers(), "catalog": WORKSPACE_CATALOG, "owner": True}],
        "tables": tables,
        # An empty rule list would allow every procedure; one rule that grants nothing denies.
        "procedures": [{"privileges": []}],
        "catalog_session_properties": [
            {"property": _any_of(LOCKED_SESSION_PROPERTIES), "allow": False},
            {"group": _members(), "allow": True},
        ],
        "system_session_properties": [{"group": _members(), "allow": True}],
        "queries": [
            {"group": group_name(Role.OWNER), "allow": ["execute", "view", "kill"]},
            {"group": _members(), "allow": ["execute"]},
        ],
        "system_information": (
            [{"user": _exactly(metrics_user), "allow": ["read"]}] if metrics_user else []
        ),
    }


def render_access_rules_json(
    grants: Iterable[GrantedCatalog], metrics_user: str | None = None
) -> str:
    """``rules.json`` as text, stable byte for byte for the same grants."""
    return json.dumps(render_access_rules(grants, metrics_user), indent=2) + "\n"


def render_group_file(ws: ValidWorkspace) -> str:
    """``group.txt``: one ``group:user,user`` line per role that has members.

    Read from ``access_holders``, the same source as the identity provider's groups and the
    members' object-store policies. An expired or suspended workspace has no members: every
    query is then refused, even before its Trino is scaled down. Usernames cannot hold
    ``:`` or ``,`` (USER_PATTERN).
    """
    holders = access_holders(ws)
    return "".join(
        f"{group_name(role)}:{','.join(holders[role])}\n" for role in Role if holders[role]
    )


def render_worker_access_rules() -> dict[str, Any]:
    """Rules of a worker: no user may read or change the node's state. A worker has no sign-in
    of its own (a user there is whatever an ``X-Trino-User`` header says), so its graceful
    shutdown is an internal request instead, which skips these rules (trino_internal.py);
    queries never reach a worker's access control."""
    return {"system_information": [{"user": ".*", "allow": []}]}
