"""Federation: where a workspace may run (placement) and the provider names datasets use."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from havre.api.model.common import SpecModel

# A provider or region name is a Kubernetes label value of the member clusters
# (havre.io/provider, havre.io/region), so it follows the label value format.
LOCATION_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
ANYWHERE = "anywhere"


class Certification(StrEnum):
    """A hosting certification a member cluster holds (label havre.io/<name>: "true")."""

    HDS = "hds"
    SECNUMCLOUD = "secnumcloud"


Location = Annotated[str, StringConstraints(pattern=LOCATION_PATTERN, max_length=63)]


def _locations(what: str) -> Any:
    return Field(
        default_factory=list,
        max_length=20,
        description=f"Allowed {what} (any of them); empty: any.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )


class Placement(SpecModel):
    """Where a federated platform may run the workspace; the hub picks exactly one member
    that satisfies every requirement, and never moves the workspace afterwards."""

    certifications: list[Certification] = Field(
        default_factory=list,
        max_length=2,
        description="Certifications the member must hold: hds, secnumcloud (all of them).",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    providers: list[Location] = _locations("providers")
    regions: list[Location] = _locations("regions")
