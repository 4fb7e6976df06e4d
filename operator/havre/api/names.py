"""Every name Havre derives from an object's name, in one place.

Workspace names match ``NAME_PATTERN`` (lowercase letters, digits, single hyphens, at most
40 characters), so each mapping below is injective and yields a valid name for its system:
namespaces and buckets take ``ws-<name>`` (at most 43 characters), PostgreSQL identifiers
``ws_<name>`` with hyphens as underscores (names hold no underscore, so no two collide).
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "ws-"


def namespace(workspace: str) -> str:
    return f"{PREFIX}{workspace}"


def bucket(workspace: str) -> str:
    return f"{PREFIX}{workspace}"


def storage_principal(workspace: str) -> str:
    """MinIO user and policy of the workspace."""
    return f"havre-{PREFIX}{workspace}"


def storage_access_key(workspace: str) -> str:
    """MinIO access key of the workspace's user: MinIO takes 3 to 20 characters, too few
    for every workspace name, so a 72-bit hash of the name (collision odds ~1e-12 for a
    million workspaces) with a fixed prefix."""
    return "hv" + hashlib.sha256(workspace.encode()).hexdigest()[:18]


def database(workspace: str) -> str:
    """PostgreSQL database and role holding the workspace's Iceberg catalog."""
    return f"ws_{workspace.replace('-', '_')}"


def role_binding(role: str, user: str) -> str:
    """RoleBinding of one member: a readable form of the user, and a hash of the exact
    username so that users who read alike (``a.b``, ``a-b``) stay distinct."""
    safe = re.sub(r"[^a-z0-9]+", "-", user.lower())[:40].strip("-")
    digest = hashlib.sha256(user.encode()).hexdigest()[:10]
    return f"havre-{role}-{safe}-{digest}" if safe else f"havre-{role}-{digest}"


def dataset_database(dataset: str) -> str:
    """PostgreSQL database holding a dataset's Iceberg catalog. Dataset names match the
    workspace ``NAME_PATTERN``, so the ``ds_`` prefix keeps them apart from ``ws_`` names."""
    return f"ds_{dataset.replace('-', '_')}"


#: Trino catalog names a dataset may never take: Trino's own and the workspace's catalogs.
RESERVED_CATALOGS = frozenset({"system", "information_schema", "workspace", "workspace_readonly"})


def catalog(dataset: str) -> str:
    """The Trino catalog of a granted dataset: its name with ``_`` for ``-`` (dataset names
    hold no ``_``, so no two datasets share a catalog)."""
    return dataset.replace("-", "_")


#: How external resources (bucket tag, policy ID, database and role comments, identity
#: group attribute) record the UID of the Workspace they belong to.
OWNER_KEY = "havre.io/workspace-uid"


def identity_group(root: str, workspace: str) -> str:
    """Path of the workspace's group in the identity provider; its roles are subgroups."""
    return f"/{root}/{workspace}"


def identity_role_group(root: str, workspace: str, role: str) -> str:
    """Path of the group holding the workspace's members of one role."""
    return f"{identity_group(root, workspace)}/{role}"


def member_storage_policy(workspace: str, role: str) -> str:
    """Object-store policy that a member's own temporary credentials get for one role.

    ``--`` cannot occur in a workspace name, so no workspace's policy (``havre-ws-<name>``)
    or another workspace's member policy can take this name.
    """
    return f"{storage_principal(workspace)}--{role}"


def trino_environment(workspace: str) -> str:
    """``node.environment`` of the workspace's Trino: it travels in every query event, so
    the audit receiver refuses one workspace's events sent with another's credential."""
    return f"havre_{workspace.replace('-', '_')}"


#: On a grant the hub sends to the member holding its data: the provider running the
#: workspace, which reads it from there (federation/remote_grant.py). Not under
#: ``havre.io/``: kopf ignores changes of annotations under its own storage prefix.
READER_ANNOTATION = "federation.havre.io/workspace-provider"
