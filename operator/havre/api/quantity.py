"""Kubernetes resource quantities (``500m``, ``4Gi``, ``100G``) as exact numbers."""

from __future__ import annotations

import re
from decimal import Decimal

QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$"
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
}
_RE = re.compile(QUANTITY_PATTERN)


def parse_quantity(text: str) -> Decimal:
    """The value of a non-negative quantity; ValueError names the bad text."""
    match = _RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a quantity such as 500m, 2, 4Gi or 100G")
    suffix = match.group(2) or ""
    return Decimal(text[: len(text) - len(suffix)]) * _SUFFIX[suffix]


def format_bytes(value: Decimal) -> str:
    """Bytes as the largest exact binary quantity (``3Gi``), else plain bytes."""
    whole = int(value)
    for suffix in ("Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = int(_SUFFIX[suffix])
        if whole >= unit and whole % unit == 0:
            return f"{whole // unit}{suffix}"
    return str(whole)


def format_cpu(value: Decimal) -> str:
    """CPU as whole cores when exact, else millicores (``1500m``)."""
    millis = int(value * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
