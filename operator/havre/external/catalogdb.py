"""The catalog database: PostgreSQL databases and roles holding Iceberg JDBC catalogs.

Per workspace, a role and a database both named ``names.database(ws)`` (``ws_<name>``). The
database belongs to the operator's admin role; the workspace role may connect to it, create
tables in its schema ``public`` and read and write the rows of the two Iceberg catalog tables
the operator creates there (``catalogdb_sql``), but not alter those tables. Per dataset, a
database ``names.dataset_database(ds)`` (``ds_<name>``) owned by the admin, where a granted
workspace role may connect and read the catalog tables, nothing else. PUBLIC holds nothing on
any of these databases, so no other role can even connect. A workspace's role and database
record the UID of their Workspace in a ``COMMENT`` (see ``ownership.py``).

Every method is idempotent and keyed by those names; it writes only when the server differs
from what is asked and returns whether it changed something. Revocations (``revoke_dataset``,
``disable_workspace``, ``drop_workspace``) also end the role's open sessions, so access stops
at the source at once. Passwords never reach the server: a SCRAM verifier is computed by
libpq on the client and sent instead, so no statement, log or message can carry one.

PostgreSQL 14+ implements it (``havre.external.postgres.PostgresCatalogs``); the operator's
admin role there needs CREATEDB, CREATEROLE and membership in ``pg_signal_backend`` (to end
other roles' sessions), or to be a superuser. Every failure to reach or use the server is
``DependencyUnavailable`` with reason ``CatalogDatabaseUnavailable``; its message names the
server and the step, never a password. ``Pending`` means a step must run first (a grant
before ``ensure_workspace`` or ``ensure_dataset``).
"""

from __future__ import annotations

import re
from typing import Protocol

from havre.api.model import NAME_PATTERN
from havre.external.ownership import Recorded

UNAVAILABLE = "CatalogDatabaseUnavailable"
_NAME = re.compile(NAME_PATTERN)


class CatalogDatabase(Protocol):
    """Workspace and dataset catalogs on one PostgreSQL server."""

    @property
    def endpoint(self) -> str:
        """``host:port`` of the server, for messages."""
        ...

    def workspace_owner(self, workspace: str) -> tuple[Recorded, Recorded]:
        """Whether the workspace's role and database exist, and the owners they record."""
        ...

    def workspaces(self) -> list[str]:
        """Names of the workspaces that have a role or a database here, sorted."""
        ...

    def set_workspace_owner(self, workspace: str, uid: str) -> bool:
        """Record ``uid`` as the owner of the role and the database that exist. True if
        changed."""
        ...

    def ensure_workspace(
        self, workspace: str, password: str, *, enabled: bool = True, owner: str = ""
    ) -> bool:
        """Create or repair the workspace's role (LOGIN when ``enabled``, password set when it
        no longer matches), database, catalog tables and privileges; record ``owner`` (the
        Workspace UID) on the role and the database. True if changed."""
        ...

    def disable_workspace(self, workspace: str) -> bool:
        """NOLOGIN, and end the role's sessions everywhere. A missing role is a no-op."""
        ...

    def enable_workspace(self, workspace: str) -> bool:
        """LOGIN again, with the password it had. ``Pending`` when the role does not exist."""
        ...

    def drop_workspace(self, workspace: str) -> bool:
        """End the role's sessions, withdraw its dataset grants, drop its database and role.
        True when anything existed."""
        ...

    def ensure_dataset(self, dataset: str) -> bool:
        """Create or repair the dataset's database and catalog tables. True if changed."""
        ...

    def grant_dataset(self, workspace: str, dataset: str) -> bool:
        """Let the workspace role connect to the dataset's database and read its catalog.
        ``Pending`` until both ``ensure_workspace`` and ``ensure_dataset`` have run."""
        ...

    def revoke_dataset(self, workspace: str, dataset: str) -> bool:
        """Withdraw every privilege of the workspace role on the dataset's database, then
        end its sessions there. Missing role or database: a no-op."""
        ...

    def granted_datasets(self, workspace: str) -> frozenset[str]:
        """Datasets on whose database the workspace role holds any privilege."""
        ...

    def ensure_grant_role(self, role: str, password: str, dataset: str, record: str) -> bool:
        """A role of one remote grant (``rg_<uid>``): LOGIN with ``password``, reading only
        the dataset's catalog, ``record`` as its comment. ``Pending`` before
        ``ensure_dataset``. True if changed."""
        ...

    def drop_grant_role(self, role: str) -> bool:
        """End the grant role's sessions, withdraw what it holds, drop it. True if it existed."""
        ...


_GRANT_ROLE = re.compile(r"^rg_[0-9a-f]{32}$")


def check_grant_role(role: str) -> None:
    """``ValueError`` unless ``role`` is a grant-scoped role name (``rg_`` + a grant UID)."""
    if not _GRANT_ROLE.fullmatch(role):
        raise ValueError(f"not a grant-scoped role name: {role!r}")


def check_names(*values: str) -> None:
    """``ValueError`` unless each value is a valid workspace or dataset name.

    The model validated them already; names reach SQL only quoted, but never unchecked.
    """
    for value in values:
        if not _NAME.fullmatch(value):
            raise ValueError(f"not a workspace or dataset name: {value!r}")
