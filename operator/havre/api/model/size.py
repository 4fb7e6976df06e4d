"""Sizes of a workspace: the ``SizeProfile`` kind, the per-workspace overrides, the result."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from havre.api.model.common import SpecModel, cel
from havre.api.quantity import QUANTITY_PATTERN, parse_quantity


def _quantity_between(low: str, high: str) -> Any:
    def check(value: str) -> str:
        if not parse_quantity(low) <= parse_quantity(value) <= parse_quantity(high):
            raise ValueError(f"must be between {low} and {high}")
        return value

    return AfterValidator(check)


def _quantity_between_optional(low: str, high: str) -> Any:
    inner = _quantity_between(low, high).func

    def check(value: str | None) -> str | None:
        return None if value is None else inner(value)

    return AfterValidator(check)


def _bounded_quantity(low: str, high: str, description: str, default: str | None) -> Any:
    return Field(
        default=default,
        description=f"{description} Between {low} and {high}.",
        pattern=QUANTITY_PATTERN,
        max_length=20,
        json_schema_extra=cel(
            (
                f"quantity(self).compareTo(quantity('{low}')) >= 0 && "
                f"quantity(self).compareTo(quantity('{high}')) <= 0",
                f"must be between {low} and {high}",
            )
        ),
    )


class Size(SpecModel):
    """Resources of the workspace: Trino nodes and the storage quota."""

    workers: int = Field(default=1, ge=0, le=32, description="Trino workers (0 to 32).")
    cpu: Annotated[str, _quantity_between("500m", "64")] = _bounded_quantity(
        "500m", "64", "CPU of each Trino node (coordinator and workers).", "2"
    )
    memory: Annotated[str, _quantity_between("1Gi", "512Gi")] = _bounded_quantity(
        "1Gi", "512Gi", "Memory of each Trino node.", "4Gi"
    )
    storage: Annotated[str, _quantity_between("1Mi", "100Ti")] = _bounded_quantity(
        "1Mi", "100Ti", "Hard quota of the workspace's bucket.", "50Gi"
    )


class SizeOverrides(SpecModel):
    """Fields that replace the size profile's; a field left out keeps the profile's value."""

    workers: int | None = Field(default=None, ge=0, le=32, description="Trino workers (0 to 32).")
    cpu: Annotated[str | None, _quantity_between_optional("500m", "64")] = _bounded_quantity(
        "500m", "64", "CPU of each Trino node (coordinator and workers).", None
    )
    memory: Annotated[str | None, _quantity_between_optional("1Gi", "512Gi")] = _bounded_quantity(
        "1Gi", "512Gi", "Memory of each Trino node.", None
    )
    storage: Annotated[str | None, _quantity_between_optional("1Mi", "100Ti")] = _bounded_quantity(
        "1Mi", "100Ti", "Hard quota of the workspace's bucket.", None
    )


def resolve_size(profile: Size, overrides: SizeOverrides) -> Size:
    """The effective size: the profile's values, replaced by each override that is set."""
    values = {name: getattr(profile, name) for name in Size.model_fields}
    return Size(**{**values, **overrides.model_dump(exclude_none=True)})


class SizeProfileSpec(Size):
    """A size a researcher may ask for by name (like a StorageClass); admins define them."""

    description: str = Field(
        description="What the profile is for, shown to researchers.", min_length=1, max_length=200
    )
