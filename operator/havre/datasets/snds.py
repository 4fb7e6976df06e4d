"""A synthetic, SNDS-like sample: beneficiaries, outpatient services, drug deliveries, stays.

Tables and columns carry the SNDS names (a small subset of columns): ``IR_BEN_R``
beneficiaries, ``ER_PRS_F`` outpatient services, ``ER_PHA_F`` drug deliveries, ``IR_PHA_R``
the drug referential, and the PMSI MCO tables ``T_MCOaaB`` (stays) and ``T_MCOaaC``
(patient link) of one year ``aa``. Everything is drawn from one ``random.Random(seed)``:
the same arguments give the same tables. No real person is in it: pseudonyms are random
17-character strings checked never to hold a NIR-shaped value, and hospitals and drug packs
are made up (``havre.datasets.referentials``).

Some beneficiaries have heart failure (more with age): they get I50 stays and most of them
monthly heart-failure drugs; some have type 2 diabetes (E11 stays, metformin); everyone
sees a doctor now and then and may have an ordinary stay. A death ends a beneficiary's
records, and a death in hospital is the exit mode of the last stay.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from havre.datasets import referentials as ref
from havre.datasets.nir import contains_nir

PSEUDONYM_LENGTH = 17
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ALPHABET = _LETTERS + "0123456789"
_CENT = Decimal("0.01")
_MONEY = pa.decimal128(9, 2)
_DAYS_PER_DELIVERY = 30
_DEPARTMENT_CODES = [code for code, _ in ref.DEPARTMENTS]
_DEPARTMENT_WEIGHTS = [weight for _, weight in ref.DEPARTMENTS]

#: Age bands (lowest, highest) and their weight, roughly the French population pyramid.
_AGE_BANDS = (((0, 19), 23), ((20, 39), 23), ((40, 59), 26), ((60, 74), 17), ((75, 100), 11))


def _by_age(age: int, table: tuple[tuple[int, float], ...]) -> float:
    """The value of the last row of ``table`` whose lower age bound is at most ``age``."""
    return [value for low, value in table if age >= low][-1]


_HEART_FAILURE = ((0, 0.002), (50, 0.01), (65, 0.04), (75, 0.10), (85, 0.18))
_DIABETES = ((0, 0.002), (40, 0.05), (60, 0.12), (75, 0.15))
_DEATH = ((0, 0.001), (50, 0.005), (65, 0.012), (75, 0.04), (85, 0.12))

_TYPES = {"string": pa.string(), "int": pa.int32(), "date": pa.date32(), "money": _MONEY}


def _schema(columns: str) -> pa.Schema:
    """A schema from ``NAME:type`` words; a trailing ``?`` marks a nullable column."""
    fields = []
    for word in columns.split():
        name, kind = word.split(":")
        fields.append(pa.field(name, _TYPES[kind.rstrip("?")], nullable=kind.endswith("?")))
    return pa.schema(fields)


#: Columns of each table; the PMSI tables are keyed T_MCO_B / T_MCO_C until a year is chosen.
SCHEMAS: dict[str, pa.Schema] = {
    "IR_BEN_R": _schema(
        "BEN_NIR_PSA:string BEN_SEX_COD:int BEN_NAI_ANN:string BEN_RES_DPT:string BEN_DCD_DTE:date?"
    ),
    "ER_PRS_F": _schema(
        "BEN_NIR_PSA:string EXE_SOI_DTD:date PRS_NAT_REF:int PRS_ACT_QTE:int "
        "BSE_REM_MNT:money PRS_PAI_MNT:money"
    ),
    "ER_PHA_F": _schema(
        "BEN_NIR_PSA:string EXE_SOI_DTD:date PHA_PRS_C13:string PHA_ACT_QSN:int PHA_ACT_PRU:money"
    ),
    "IR_PHA_R": _schema("PHA_CIP_C13:string PHA_ATC_C07:string"),
    "T_MCO_B": _schema(
        "ETA_NUM:string RSA_NUM:string DGN_PAL:string DGN_REL:string? SEJ_NBJ:int AGE_ANN:int "
        "COD_SEX:string ENT_MOD:string SOR_MOD:string GRG_GHM:string BDI_DEP:string"
    ),
    "T_MCO_C": _schema(
        "ETA_NUM:string RSA_NUM:string NIR_ANO_17:string EXE_SOI_DTD:date EXE_SOI_DTF:date"
    ),
}


def table_names(year: int) -> dict[str, str]:
    """SNDS table names of a sample of ``year``, keyed like ``SCHEMAS`` (T_MCO_B -> T_MCO23B)."""
    aa = f"{year % 100:02d}"
    return {key: key.replace("_MCO_", f"_MCO{aa}") for key in SCHEMAS}


@dataclass(frozen=True)
class _Person:
    pseudonym: str
    sex: int
    birth_year: int
    department: str
    death: dt.date | None
    heart_failure: bool
    diabetes: bool


class _Sample:
    """The column lists of every table, filled one beneficiary at a time."""

    def __init__(self, rng: random.Random, year: int) -> None:
        self.rng = rng
        self.year = year
        self.first_day = dt.date(year, 1, 1)
        self.columns: dict[str, dict[str, list[Any]]] = {
            key: {name: [] for name in schema.names} for key, schema in SCHEMAS.items()
        }
        self.pseudonyms: set[str] = set()
        self.stay_numbers: dict[str, int] = {}

    def add(self, table: str, *values: Any) -> None:
        for column, value in zip(self.columns[table].values(), values, strict=True):
            column.append(value)

    def pseudonym(self) -> str:
        while True:
            value = self.rng.choice(_LETTERS) + "".join(
                self.rng.choices(_ALPHABET, k=PSEUDONYM_LENGTH - 1)
            )
            # Unique, and never NIR-shaped anywhere inside, whatever the draw.
            if value not in self.pseudonyms and not contains_nir(value):
                self.pseudonyms.add(value)
                return value

    def person(self) -> _Person:
        rng = self.rng
        (low, high), *_ = rng.choices([b for b, _ in _AGE_BANDS], [w for _, w in _AGE_BANDS])
        age = rng.randint(low, high)
        heart_failure = rng.random() < _by_age(age, _HEART_FAILURE)
        death_risk = _by_age(age, _DEATH) * (3 if heart_failure else 1)
        death = self.day(rng.randrange(self.days_in_year())) if rng.random() < death_risk else None
        person = _Person(
            pseudonym=self.pseudonym(),
            sex=rng.choices((1, 2), (48, 52))[0],
            birth_year=self.year - age,
            department=rng.choices(_DEPARTMENT_CODES, _DEPARTMENT_WEIGHTS)[0],
            death=death,
            heart_failure=heart_failure,
            diabetes=rng.random() < _by_age(age, _DIABETES),
        )
        born = str(person.birth_year)
        self.add("IR_BEN_R", person.pseudonym, person.sex, born, person.department, death)
        return person

    def days_in_year(self) -> int:
        return (dt.date(self.year + 1, 1, 1) - self.first_day).days

    def day(self, offset: int) -> dt.date:
        return self.first_day + dt.timedelta(days=offset)

    def last_day(self, person: _Person) -> dt.date:
        return person.death or self.day(self.days_in_year() - 1)

    def random_day(self, person: _Person) -> dt.date:
        return self.day(self.rng.randint(0, (self.last_day(person) - self.first_day).days))

    def services(self, person: _Person) -> None:
        age = self.year - person.birth_year
        ald = person.heart_failure or person.diabetes
        expected = 2 + age / 20 + (4 if person.heart_failure else 0) + (3 if person.diabetes else 0)
        for _ in range(_poisson(self.rng, expected)):
            code, base, _weight = self.rng.choices(ref.SERVICES, [s[2] for s in ref.SERVICES])[0]
            paid = (base * (ref.ALD_RATE if ald else ref.REIMBURSED_RATE)).quantize(_CENT)
            self.add("ER_PRS_F", person.pseudonym, self.random_day(person), code, 1, base, paid)

    def deliveries(self, person: _Person) -> None:
        rng = self.rng
        regular: list[ref.Drug] = []
        if person.heart_failure and rng.random() < 0.85:
            regular += [ref.FUROSEMIDE, *rng.sample(ref.HEART_FAILURE_DRUGS, rng.randint(1, 2))]
        if person.diabetes and rng.random() < 0.9:
            regular.append(ref.METFORMIN)
        if self.year - person.birth_year >= 50 and rng.random() < 0.3:
            regular.append(ref.ATORVASTATIN)
        last = self.last_day(person)
        for drug in regular:
            when = self.day(rng.randint(0, 40))
            while when <= last:
                self.add("ER_PHA_F", person.pseudonym, when, drug.cip13, 1, drug.price)
                when += dt.timedelta(days=_DAYS_PER_DELIVERY + rng.randint(-4, 4))
        for _ in range(_poisson(rng, 1.5)):
            drug = rng.choice(ref.OCCASIONAL_DRUGS)
            self.add(
                "ER_PHA_F", person.pseudonym, self.random_day(person), drug.cip13, 1, drug.price
            )

    def stays(self, person: _Person) -> None:
        rng = self.rng
        age = self.year - person.birth_year
        wanted: list[ref.Diagnosis] = []
        if person.heart_failure:
            wanted += self.diagnoses(ref.HEART_FAILURE_STAYS, rng.choices((1, 2, 3), (6, 3, 1))[0])
        if person.diabetes and rng.random() < 0.3:
            wanted += self.diagnoses(ref.DIABETES_STAYS, 1)
        ordinary = [
            d
            for d in ref.ORDINARY_STAYS
            if d.min_age <= age <= d.max_age and (person.sex == 2 or not d.female_only)
        ]
        wanted += self.diagnoses(tuple(ordinary), _poisson(rng, 0.1 + age / 400))
        last = self.last_day(person)
        planned = sorted(
            (
                (self.random_day(person), min(1 + int(rng.expovariate(1 / d.mean_stay)), 60), d)
                for d in wanted
            ),
            key=lambda stay: stay[:2],
        )
        died_in_hospital = person.death is not None and bool(planned) and rng.random() < 0.5
        free_from = self.first_day
        for index, (begin, length, diagnosis) in enumerate(planned):
            start, end = begin, begin + dt.timedelta(days=length)
            death_stay = died_in_hospital and index == len(planned) - 1
            if death_stay:
                start, end = max(last - dt.timedelta(days=length), free_from), last
            if start < free_from or end > last or start > end:
                continue  # overlaps an earlier stay, or runs past death: not recorded
            free_from = end + dt.timedelta(days=1)
            exit_mode = "9" if death_stay else rng.choices("87", (9, 1))[0]
            self.stay(person, diagnosis, start, end, exit_mode)

    def diagnoses(self, choices: tuple[ref.Diagnosis, ...], count: int) -> list[ref.Diagnosis]:
        if not choices or count == 0:
            return []
        return self.rng.choices(choices, [d.weight for d in choices], k=count)

    def stay(
        self,
        person: _Person,
        diagnosis: ref.Diagnosis,
        start: dt.date,
        end: dt.date,
        exit_mode: str,
    ) -> None:
        hospital = self.rng.choice(ref.HOSPITALS.get(person.department, ref.ALL_HOSPITALS))
        self.stay_numbers[hospital] = number = self.stay_numbers.get(hospital, 0) + 1
        rsa = f"{number:010d}"
        length = (end - start).days
        severity = 1 if length < 3 else 2 if length < 8 else 3 if length < 15 else 4
        related = "E119" if person.diabetes and diagnosis.code.startswith("I50") else None
        self.add(
            "T_MCO_B",
            hospital,
            rsa,
            diagnosis.code,
            related,
            length,
            start.year - person.birth_year,
            str(person.sex),
            self.rng.choices("87", (9, 1))[0],
            exit_mode,
            f"{diagnosis.ghm_root}{severity}",
            person.department,
        )
        self.add("T_MCO_C", hospital, rsa, person.pseudonym, start, end)

    def tables(self) -> dict[str, pa.Table]:
        for drug in ref.DRUGS:
            self.add("IR_PHA_R", drug.cip13, drug.atc)
        names = table_names(self.year)
        return {
            names[key]: pa.table(columns, schema=SCHEMAS[key])
            for key, columns in self.columns.items()
        }


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def generate_sample(beneficiaries: int, seed: int, year: int = 2023) -> dict[str, pa.Table]:
    """The sample's tables keyed by SNDS name (``IR_BEN_R``, ``T_MCO23B``…) for ``year``.

    ``beneficiaries`` sets the size: every other table grows in proportion to it. The same
    ``(beneficiaries, seed, year)`` always gives the same tables.
    """
    if beneficiaries < 1:
        raise ValueError("a sample needs at least one beneficiary")
    if not 2000 <= year <= 2099:
        raise ValueError("year must be between 2000 and 2099 (PMSI tables carry 2 digits)")
    sample = _Sample(random.Random(seed), year)
    for _ in range(beneficiaries):
        person = sample.person()
        sample.services(person)
        sample.deliveries(person)
        sample.stays(person)
    return sample.tables()
