"""The synthetic SNDS sample: deterministic, sized by its parameter, valid codes, no NIR."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from havre.datasets import referentials as ref
from havre.datasets.nir import contains_nir, is_nir_shaped, nir_key
from havre.datasets.snds import PSEUDONYM_LENGTH, generate_sample

YEAR = 2023


@pytest.fixture(scope="module")
def sample() -> dict[str, pa.Table]:
    return generate_sample(2000, seed=11, year=YEAR)


def rows(sample: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sample[name].to_pylist()
    return found


def test_same_seed_gives_identical_tables() -> None:
    first, second = generate_sample(300, seed=5), generate_sample(300, seed=5)
    assert first.keys() == second.keys()
    assert all(first[name].equals(second[name]) for name in first)


def test_another_seed_gives_other_beneficiaries() -> None:
    first, second = generate_sample(300, seed=5), generate_sample(300, seed=6)
    ids = {r["BEN_NIR_PSA"] for r in rows(first, "IR_BEN_R")}
    assert ids.isdisjoint(r["BEN_NIR_PSA"] for r in rows(second, "IR_BEN_R"))


def test_tables_carry_snds_names_with_the_year_of_the_pmsi_tables() -> None:
    names = set(generate_sample(10, seed=1, year=2021))
    assert names == {"IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "IR_PHA_R", "T_MCO21B", "T_MCO21C"}


def test_every_table_grows_with_the_number_of_beneficiaries() -> None:
    small, large = generate_sample(500, seed=3), generate_sample(2000, seed=3)
    assert large["IR_BEN_R"].num_rows == 4 * small["IR_BEN_R"].num_rows == 2000
    for name in ("ER_PRS_F", "ER_PHA_F", "T_MCO23B", "T_MCO23C"):
        ratio = large[name].num_rows / small[name].num_rows
        assert 3.0 < ratio < 5.3, f"{name}: {ratio:.2f}"


def test_size_and_year_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        generate_sample(0, seed=1)
    with pytest.raises(ValueError, match="2 digits"):
        generate_sample(10, seed=1, year=1999)


def test_no_value_of_any_table_holds_a_nir(sample: dict[str, pa.Table]) -> None:
    for name, table in sample.items():
        for column in table.column_names:
            for value in table.column(column).to_pylist():
                assert not (isinstance(value, str) and contains_nir(value)), (name, column)


def test_pseudonyms_are_unique_and_link_every_table_to_a_beneficiary(
    sample: dict[str, pa.Table],
) -> None:
    ids = [r["BEN_NIR_PSA"] for r in rows(sample, "IR_BEN_R")]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == PSEUDONYM_LENGTH and i[0].isalpha() for i in ids)
    for name, column in (("ER_PRS_F", "BEN_NIR_PSA"), ("ER_PHA_F", "BEN_NIR_PSA")):
        assert {r[column] for r in rows(sample, name)} <= set(ids)
    assert {r["NIR_ANO_17"] for r in rows(sample, "T_MCO23C")} <= set(ids)


def test_nir_detector_flags_valid_keys_only() -> None:
    first13 = "1850575123456"
    nir = f"{first13}{nir_key(first13):02d}"
    assert is_nir_shaped(nir)
    assert not is_nir_shaped(f"{first13}{(nir_key(first13) + 1) % 100:02d}")
    corsican = "285072A123456"
    assert nir_key(corsican) == 97 - int("2850719123456") % 97
    assert is_nir_shaped(f"{corsican}{nir_key(corsican):02d}")
    assert contains_nir(f"AB{nir}CD") and not contains_nir(nir[:14])


def test_codes_have_valid_formats_and_check_digits(sample: dict[str, pa.Table]) -> None:
    drugs = rows(sample, "IR_PHA_R")
    for drug in drugs:
        cip = drug["PHA_CIP_C13"]
        assert re.fullmatch(r"34009\d{8}", cip) and ref.ean13_key(cip[:12]) == int(cip[12])
        assert re.fullmatch(r"[A-Z]\d{2}[A-Z]{2}\d{2}", drug["PHA_ATC_C07"])
    assert {r["PHA_PRS_C13"] for r in rows(sample, "ER_PHA_F")} <= {d["PHA_CIP_C13"] for d in drugs}
    departments = {code for code, _ in ref.DEPARTMENTS}
    for stay in rows(sample, "T_MCO23B"):
        finess = stay["ETA_NUM"]
        assert re.fullmatch(r"\d{9}", finess) and ref.luhn_key(finess[:8]) == int(finess[8])
        assert re.fullmatch(r"\d{10}", stay["RSA_NUM"])
        assert re.fullmatch(r"[A-Z]\d{2}[0-9A-Z]", stay["DGN_PAL"])
        assert re.fullmatch(r"\d{2}[CMZK]\d{2}[1-4]", stay["GRG_GHM"])
        assert stay["BDI_DEP"] in departments and stay["SOR_MOD"] in {"7", "8", "9"}
    services = {code for code, _, _ in ref.SERVICES}
    assert {r["PRS_NAT_REF"] for r in rows(sample, "ER_PRS_F")} <= services
    for person in rows(sample, "IR_BEN_R"):
        assert person["BEN_SEX_COD"] in {1, 2} and person["BEN_RES_DPT"] in departments


def test_some_heart_failure_patients_have_i50_stays_and_most_get_related_drugs(
    sample: dict[str, pa.Table],
) -> None:
    link = {(r["ETA_NUM"], r["RSA_NUM"]): r["NIR_ANO_17"] for r in rows(sample, "T_MCO23C")}
    stays = rows(sample, "T_MCO23B")
    patients = {link[(s["ETA_NUM"], s["RSA_NUM"])] for s in stays if s["DGN_PAL"][:3] == "I50"}
    packs = {d.cip13 for d in (ref.FUROSEMIDE, *ref.HEART_FAILURE_DRUGS)}
    treated = {r["BEN_NIR_PSA"] for r in rows(sample, "ER_PHA_F") if r["PHA_PRS_C13"] in packs}
    assert 20 <= len(patients) <= 200
    assert 0.6 <= len(patients & treated) / len(patients) < 1.0


def test_stays_agree_with_the_beneficiary_and_never_overlap(sample: dict[str, pa.Table]) -> None:
    people = {r["BEN_NIR_PSA"]: r for r in rows(sample, "IR_BEN_R")}
    stays = {(r["ETA_NUM"], r["RSA_NUM"]): r for r in rows(sample, "T_MCO23B")}
    links = rows(sample, "T_MCO23C")
    assert len(stays) == len(links) == sample["T_MCO23B"].num_rows
    periods: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for link in links:
        stay, person = stays[(link["ETA_NUM"], link["RSA_NUM"])], people[link["NIR_ANO_17"]]
        assert stay["SEJ_NBJ"] == (link["EXE_SOI_DTF"] - link["EXE_SOI_DTD"]).days
        assert stay["AGE_ANN"] == YEAR - int(person["BEN_NAI_ANN"])
        assert stay["COD_SEX"] == str(person["BEN_SEX_COD"])
        assert stay["BDI_DEP"] == person["BEN_RES_DPT"]
        periods[link["NIR_ANO_17"]].append((link["EXE_SOI_DTD"], link["EXE_SOI_DTF"]))
    for spans in periods.values():
        spans.sort()
        assert all(end < start for (_, end), (start, _) in itertools.pairwise(spans))


def test_records_end_at_death_and_deaths_in_hospital_close_the_last_stay(
    sample: dict[str, pa.Table],
) -> None:
    deaths = {r["BEN_NIR_PSA"]: r["BEN_DCD_DTE"] for r in rows(sample, "IR_BEN_R")}
    assert any(deaths.values())
    for name in ("ER_PRS_F", "ER_PHA_F"):
        for r in rows(sample, name):
            died = deaths[r["BEN_NIR_PSA"]]
            assert died is None or r["EXE_SOI_DTD"] <= died
    exits = {(r["ETA_NUM"], r["RSA_NUM"]): r["SOR_MOD"] for r in rows(sample, "T_MCO23B")}
    in_hospital = 0
    for link in rows(sample, "T_MCO23C"):
        died = deaths[link["NIR_ANO_17"]]
        assert died is None or link["EXE_SOI_DTF"] <= died
        if exits[(link["ETA_NUM"], link["RSA_NUM"])] == "9":
            in_hospital += 1
            assert link["EXE_SOI_DTF"] == died
    assert in_hospital > 0
