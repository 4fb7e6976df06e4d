"""Pure status of a DatasetGrant: in force, waiting for its workspace or dataset, or expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from havre.api.model import DatasetGrantSpec
from havre.pipeline.status import Check


def grant_checks(
    spec: dict[str, Any], workspace_exists: bool, dataset_exists: bool, now: dt.datetime
) -> list[Check]:
    """Conditions of a grant; the first failing one becomes ``Ready``'s reason."""
    try:
        parsed = DatasetGrantSpec.model_validate(spec)
    except ValidationError as exc:
        return [Check("Valid", False, "InvalidSpec", str(exc.errors()[0]["msg"]))]
    checks = [Check("Valid", True, "Valid", "The spec is valid.")]
    if not workspace_exists:
        checks.append(
            Check(
                "WorkspaceFound",
                False,
                "WorkspaceNotFound",
                f"Workspace {parsed.workspace} does not exist; the grant opens nothing.",
            )
        )
    if not dataset_exists:
        checks.append(
            Check(
                "DatasetFound",
                False,
                "DatasetNotFound",
                f"Dataset {parsed.dataset} does not exist; the grant opens nothing.",
            )
        )
    expires = parsed.expires.isoformat().replace("+00:00", "Z")
    if parsed.expires <= now:
        checks.append(
            Check("Active", False, "Expired", f"Access to {parsed.dataset} ended at {expires}.")
        )
    else:
        checks.append(
            Check(
                "Active",
                workspace_exists and dataset_exists,
                "Active" if workspace_exists and dataset_exists else "Waiting",
                f"{parsed.workspace} may read {parsed.dataset} until {expires} "
                f"({parsed.legal_basis}).",
            )
        )
    return checks
