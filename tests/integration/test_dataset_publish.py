"""A data steward publishes the synthetic SNDS sample; a real Trino 476 reads it back.

The ``havre`` CLI writes the sample into the real MinIO and PostgreSQL: Iceberg files under
``s3://<dataset bucket>/<prefix>/``, tables registered in the dataset's JDBC catalog database
``ds_<name>``. A local Trino 476 (devstack's install) with one read-only Iceberg JDBC catalog
per dataset, as a workspace's Trino gets them, answers queries that must equal what Python
computes from the generated tables.

Two datasets: ``fresh`` gets its catalog tables from PyIceberg (its database was empty);
``prepared`` has them created first by Iceberg 1.9.1's own DDL, as the operator does. Trino
never creates them: on an empty database its queries fail ("Cannot check and eventually
update SQL schema"), because it opens Iceberg's JdbcCatalog without initialising tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
import trino

from devstack.paths import StackPaths
from devstack.secrets import random_secret
from havre.datasets.publish import CatalogDatabase, PublishError, S3Access, publish_tables
from havre.datasets.referentials import HEART_FAILURE_ATC_PREFIXES
from havre.datasets.snds import generate_sample
from tests.integration.conftest import Platform
from tests.integration.datasets import Dataset, DatasetTrino, create_dataset, drop_dataset
from tests.integration.storage import root_client

pytestmark = pytest.mark.integration

ROWS, SEED = 800, 476
HEART_FAILURE_QUERY = """
SELECT count(DISTINCT c.NIR_ANO_17)
FROM {catalog}.snds.T_MCO23B b
JOIN {catalog}.snds.T_MCO23C c ON c.ETA_NUM = b.ETA_NUM AND c.RSA_NUM = b.RSA_NUM
JOIN {catalog}.snds.ER_PHA_F p ON p.BEN_NIR_PSA = c.NIR_ANO_17
JOIN {catalog}.snds.IR_PHA_R r ON r.PHA_CIP_C13 = p.PHA_PRS_C13
WHERE b.DGN_PAL LIKE 'I50%' AND substr(r.PHA_ATC_C07, 1, 3) IN ('C03', 'C07', 'C09')
"""


@pytest.fixture(scope="module")
def sample() -> dict[str, pa.Table]:
    return generate_sample(ROWS, SEED)


@pytest.fixture(scope="module")
def datasets(platform: Platform) -> Iterator[dict[str, Dataset]]:
    minio, postgres = platform("minio"), platform("postgres")
    made: dict[str, Dataset] = {}
    try:
        for label, prepared in (("fresh", False), ("prepared", True)):
            made[label] = create_dataset(minio, postgres, ROWS, SEED, prepared)
        yield made
    finally:
        for dataset in made.values():
            drop_dataset(minio, postgres, dataset)


@pytest.fixture(scope="module")
def query(datasets: dict[str, Dataset], stack_paths: StackPaths) -> Iterator[Any]:
    """Run one statement on a local Trino 476 with a catalog per dataset; return its rows."""
    server = DatasetTrino(stack_paths, datasets)
    try:
        server.start()
        yield server.query
    finally:
        server.stop()


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _heart_failure_patients_treated(tables: dict[str, pa.Table]) -> int:
    """Patients with an I50 stay who got a heart-failure drug, computed in Python."""
    links = {(r["ETA_NUM"], r["RSA_NUM"]): r["NIR_ANO_17"] for r in _rows(tables["T_MCO23C"])}
    stays = _rows(tables["T_MCO23B"])
    patients = {links[(s["ETA_NUM"], s["RSA_NUM"])] for s in stays if s["DGN_PAL"][:3] == "I50"}
    packs = {
        r["PHA_CIP_C13"]
        for r in _rows(tables["IR_PHA_R"])
        if r["PHA_ATC_C07"].startswith(HEART_FAILURE_ATC_PREFIXES)
    }
    treated = {d["BEN_NIR_PSA"] for d in _rows(tables["ER_PHA_F"]) if d["PHA_PRS_C13"] in packs}
    return len(patients & treated)


@pytest.mark.parametrize("catalog", ["fresh", "prepared"])
def test_trino_counts_heart_failure_patients_treated_as_python_does(
    query: Any, sample: dict[str, pa.Table], catalog: str
) -> None:
    expected = _heart_failure_patients_treated(sample)
    assert expected > 0, "the sample should hold treated heart-failure patients"
    assert query(HEART_FAILURE_QUERY.format(catalog=catalog)) == [[expected]]


@pytest.mark.parametrize("catalog", ["fresh", "prepared"])
def test_trino_lists_every_published_table_with_all_its_rows(
    query: Any, sample: dict[str, pa.Table], catalog: str
) -> None:
    assert sorted(r[0] for r in query(f"SHOW TABLES FROM {catalog}.snds")) == sorted(
        name.lower() for name in sample
    )
    for name, table in sample.items():
        counted = query(f"SELECT count(*) FROM {catalog}.snds.{name}")
        assert counted == [[table.num_rows]], name


def test_amounts_dates_and_missing_values_survive_the_round_trip(
    query: Any, sample: dict[str, pa.Table]
) -> None:
    services = _rows(sample["ER_PRS_F"])
    dates = [s["EXE_SOI_DTD"] for s in services]
    expected = [sum((s["PRS_PAI_MNT"] for s in services), Decimal(0)), min(dates), max(dates)]
    got = query(
        "SELECT sum(PRS_PAI_MNT), min(EXE_SOI_DTD), max(EXE_SOI_DTD) FROM fresh.snds.ER_PRS_F"
    )
    assert got == [expected]
    deaths = sum(b["BEN_DCD_DTE"] is not None for b in _rows(sample["IR_BEN_R"]))
    assert query("SELECT count(BEN_DCD_DTE) FROM fresh.snds.IR_BEN_R") == [[deaths]]


def test_every_file_lies_under_the_dataset_prefix(
    datasets: dict[str, Dataset], platform: Platform
) -> None:
    target = datasets["fresh"].target
    keys = [
        o.object_name or ""
        for o in root_client(platform("minio")).list_objects(target.bucket, recursive=True)
    ]
    assert keys and all(key.startswith(f"{target.prefix}/") for key in keys)
    assert any(key.endswith(".parquet") for key in keys)


def test_publishing_again_replaces_the_rows_and_keeps_the_history(
    query: Any, datasets: dict[str, Dataset], sample: dict[str, pa.Table]
) -> None:
    fresh = datasets["fresh"]
    snapshots = 'SELECT count(*) FROM fresh.snds."ir_ben_r$snapshots"'
    before = query(snapshots)[0][0]
    publish_tables(sample, fresh.target, fresh.database, fresh.store)
    assert query(snapshots)[0][0] > before
    assert query("SELECT count(*) FROM fresh.snds.ir_ben_r") == [[ROWS]]


def test_dataset_catalog_refuses_writes(query: Any) -> None:
    with pytest.raises(trino.exceptions.TrinoUserError, match="Access Denied"):
        query("INSERT INTO fresh.snds.ir_pha_r VALUES ('3400900000000', 'X00XX00')")


def test_cli_prints_the_tables_and_no_secret(datasets: dict[str, Dataset]) -> None:
    fresh = datasets["fresh"]
    assert fresh.output.count(" rows at s3://") == 6
    assert fresh.database.password not in fresh.output
    assert fresh.store.secret_key not in fresh.output


def test_failures_name_the_step_and_hold_no_secret(
    datasets: dict[str, Dataset], sample: dict[str, pa.Table]
) -> None:
    fresh = datasets["fresh"]
    wrong_db = CatalogDatabase(**{**vars(fresh.database), "password": "wrong-" + random_secret()})
    with pytest.raises(PublishError, match="cannot open the Iceberg catalog") as refused:
        publish_tables(sample, fresh.target, wrong_db, fresh.store)
    assert wrong_db.password not in str(refused.value)

    wrong_store = S3Access(
        fresh.store.endpoint_url, fresh.store.access_key, "wrong-" + random_secret()
    )
    with pytest.raises(PublishError, match=r"cannot write table snds\.ir_ben_r") as denied:
        publish_tables(sample, fresh.target, fresh.database, wrong_store)
    assert wrong_store.secret_key not in str(denied.value)
    assert fresh.database.password not in str(denied.value)
