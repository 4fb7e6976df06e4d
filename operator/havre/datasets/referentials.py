"""The code lists of the synthetic SNDS sample: departments, hospitals, drugs, diagnoses, services.

Codes have the real formats and check digits — FINESS numbers (9 characters, Luhn key),
CIP13 pack codes (``34009`` + 7 digits + EAN-13 key), ICD-10 diagnoses without the dot,
ATC classes — but hospitals and packs are made up: the FINESS numbers sit in an ``09``
series and the CIP13 product numbers in a ``9`` series. GHM roots follow the shape of the
French diagnosis-related groups (category, type, number); the sample appends a severity
level from the length of stay, which is not what the official grouper does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

#: Department of residence (INSEE code, Corsica as 2A/2B, overseas on 3 digits) and weight.
DEPARTMENTS: tuple[tuple[str, int], ...] = (
    ("75", 8),
    ("13", 7),
    ("59", 7),
    ("69", 6),
    ("33", 5),
    ("76", 4),
    ("31", 4),
    ("44", 4),
    ("67", 3),
    ("35", 3),
    ("2A", 1),
    ("2B", 1),
    ("971", 1),
    ("974", 2),
)


def luhn_key(digits: str) -> int:
    """The Luhn check digit of ``digits`` (the 9th character of a FINESS number)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def ean13_key(first12: str) -> int:
    """The EAN-13 check digit of a CIP13 code's first 12 digits."""
    total = sum(int(char) * (3 if index % 2 else 1) for index, char in enumerate(first12))
    return (10 - total % 10) % 10


def _finess(department: str, serial: int) -> str:
    body = f"{department}09{serial:04d}"
    return f"{body}{luhn_key(body)}"


def _cip13(product: int) -> str:
    body = f"34009{product:07d}"
    return f"{body}{ean13_key(body)}"


#: Hospitals (FINESS numbers) by department; residents of other departments go anywhere.
HOSPITALS: dict[str, tuple[str, ...]] = {
    "75": (_finess("75", 1), _finess("75", 2)),
    "13": (_finess("13", 3),),
    "59": (_finess("59", 4),),
    "69": (_finess("69", 5),),
    "33": (_finess("33", 6),),
    "76": (_finess("76", 7), _finess("76", 8)),
    "31": (_finess("31", 9),),
    "44": (_finess("44", 10),),
    "67": (_finess("67", 11),),
    "35": (_finess("35", 12),),
}
ALL_HOSPITALS: tuple[str, ...] = tuple(f for group in HOSPITALS.values() for f in group)


@dataclass(frozen=True)
class Drug:
    """A drug pack: its CIP13 code, ATC class and unit price."""

    cip13: str
    atc: str
    price: Decimal


FUROSEMIDE = Drug(_cip13(9000011), "C03CA01", Decimal("3.52"))
#: Heart-failure treatments besides the loop diuretic every treated patient receives.
HEART_FAILURE_DRUGS: tuple[Drug, ...] = (
    Drug(_cip13(9000028), "C07AB07", Decimal("4.27")),
    Drug(_cip13(9000035), "C09DX04", Decimal("94.80")),
    Drug(_cip13(9000042), "C03DA04", Decimal("24.90")),
)
METFORMIN = Drug(_cip13(9000059), "A10BA02", Decimal("3.14"))
ATORVASTATIN = Drug(_cip13(9000066), "C10AA05", Decimal("7.46"))
#: Occasional deliveries anyone may get: paracetamol, amoxicillin.
OCCASIONAL_DRUGS: tuple[Drug, ...] = (
    Drug(_cip13(9000073), "N02BE01", Decimal("2.18")),
    Drug(_cip13(9000080), "J01CA04", Decimal("3.61")),
)
DRUGS: tuple[Drug, ...] = (
    FUROSEMIDE,
    *HEART_FAILURE_DRUGS,
    METFORMIN,
    ATORVASTATIN,
    *OCCASIONAL_DRUGS,
)
#: ATC prefix of the heart-failure treatments above (diuretics, beta blockers, ARNI, MRA).
HEART_FAILURE_ATC_PREFIXES = ("C03", "C07", "C09")


@dataclass(frozen=True)
class Diagnosis:
    """A main diagnosis of a hospital stay, with who may have it and how long it lasts."""

    code: str
    ghm_root: str
    mean_stay: float
    weight: int = 1
    female_only: bool = False
    min_age: int = 0
    max_age: int = 120


HEART_FAILURE_STAYS: tuple[Diagnosis, ...] = (
    Diagnosis("I500", "05M09", 8.0, weight=5),
    Diagnosis("I501", "05M09", 7.0, weight=2),
    Diagnosis("I509", "05M09", 8.0, weight=3),
)
DIABETES_STAYS: tuple[Diagnosis, ...] = (
    Diagnosis("E119", "10M02", 4.0, weight=3),
    Diagnosis("E116", "10M02", 5.0, weight=1),
)
ORDINARY_STAYS: tuple[Diagnosis, ...] = (
    Diagnosis("J189", "04M05", 6.0, weight=4),
    Diagnosis("S720", "08C47", 10.0, weight=2, min_age=50),
    Diagnosis("K359", "06C09", 3.0, weight=2, max_age=60),
    Diagnosis("O800", "14Z14", 3.0, weight=3, female_only=True, min_age=18, max_age=45),
    Diagnosis("C341", "04M09", 7.0, weight=1, min_age=40),
    Diagnosis("I214", "05M04", 5.0, weight=2, min_age=35),
    Diagnosis("N390", "11M04", 4.0, weight=2),
)

#: Outpatient service natures (PRS_NAT_REF, 4 digits) with their base amount and weight:
#: the sample's own small list, not the official nomenclature.
SERVICES: tuple[tuple[int, Decimal, int], ...] = (
    (1111, Decimal("26.50"), 12),
    (1112, Decimal("30.00"), 4),
    (1114, Decimal("60.00"), 1),
    (1311, Decimal("8.50"), 3),
)
#: Share of the base amount reimbursed, outside and inside a long-term condition (ALD).
REIMBURSED_RATE = Decimal("0.70")
ALD_RATE = Decimal("1.00")
