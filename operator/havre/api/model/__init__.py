"""Typed specs of the ``havre.io/v1alpha1`` kinds.

These models are the single source of the CRD schemas (``havre.api.crdgen`` renders
``crds/`` from them), so every description and validation rule lives here once. The
operator parses every object it reads into them; parsing can fail only for what the API
server could not check itself (it validates the same schema at admission).

One module per kind (``workspace``, ``dataset``, ``grant``, ``size`` for SizeProfile),
``placement`` for federation's types and ``common`` for what they share; import from
``havre.api.model``.
"""

from havre.api.model.common import (
    BUCKET_PATTERN,
    LEGAL_BASIS_PATTERN,
    NAME_MAX,
    NAME_PATTERN,
    PREFIX_PATTERN,
    PROFILE_PATTERN,
    USER_PATTERN,
    WORKSPACE_BUCKET_PREFIX,
    is_valid_name,
)
from havre.api.model.dataset import DatasetSpec, Sensitivity
from havre.api.model.grant import DatasetGrantSpec
from havre.api.model.placement import ANYWHERE, LOCATION_PATTERN, Certification, Location, Placement
from havre.api.model.size import Size, SizeOverrides, SizeProfileSpec, resolve_size
from havre.api.model.workspace import (
    Approval,
    Decision,
    DeletionPolicy,
    Member,
    Role,
    WorkspaceSpec,
)

__all__ = [
    "ANYWHERE",
    "BUCKET_PATTERN",
    "LEGAL_BASIS_PATTERN",
    "LOCATION_PATTERN",
    "NAME_MAX",
    "NAME_PATTERN",
    "PREFIX_PATTERN",
    "PROFILE_PATTERN",
    "USER_PATTERN",
    "WORKSPACE_BUCKET_PREFIX",
    "Approval",
    "Certification",
    "DatasetGrantSpec",
    "DatasetSpec",
    "Decision",
    "DeletionPolicy",
    "Location",
    "Member",
    "Placement",
    "Role",
    "Sensitivity",
    "Size",
    "SizeOverrides",
    "SizeProfileSpec",
    "WorkspaceSpec",
    "is_valid_name",
    "resolve_size",
]
