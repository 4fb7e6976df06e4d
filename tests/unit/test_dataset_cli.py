"""The steward's CLI and publisher refuse bad input before connecting, and hide secrets."""

from __future__ import annotations

import pytest

from havre import cli
from havre.datasets.publish import CatalogDatabase, Publication, PublishError, S3Access

ARGS = ["dataset", "publish-sample", "--dataset", "snds-demo", "--bucket", "ds-snds-demo"]
ARGS += ["--prefix", "sample/v1", "--rows", "10", "--seed", "1"]
ENV = {
    "HAVRE_STORAGE_URL": "http://127.0.0.1:9",
    "HAVRE_STORAGE_ACCESS_KEY": "steward",
    "HAVRE_STORAGE_SECRET_KEY": "s3-secret-value",
    "PGHOST": "127.0.0.1",
    "PGPORT": "9",
    "PGUSER": "steward",
    "PGPASSWORD": "pg-secret-value",
}


def test_missing_connection_variables_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in ENV.items() if k not in ("PGPASSWORD", "HAVRE_STORAGE_SECRET_KEY")}
    assert cli.main(ARGS, env) == 2
    err = capsys.readouterr().err
    assert "HAVRE_STORAGE_SECRET_KEY" in err and "PGPASSWORD" in err


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--dataset", "SNDS_demo", "--dataset"),
        ("--prefix", "../other", "prefix"),
        ("--prefix", "sample/*", "prefix"),
        ("--bucket", "Bad_Bucket", "bucket"),
        ("--namespace", "snds-v1", "namespace"),
        ("--rows", "0", "--rows"),
        ("--year", "1999", "year"),
    ],
)
def test_invalid_arguments_are_refused_before_any_connection(
    capsys: pytest.CaptureFixture[str], option: str, value: str, complaint: str
) -> None:
    args = list(ARGS)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    # The endpoints in ENV answer nothing: reaching them would fail differently.
    assert cli.main(args, ENV) == 2
    err = capsys.readouterr().err
    assert complaint in err
    assert ENV["PGPASSWORD"] not in err and ENV["HAVRE_STORAGE_SECRET_KEY"] not in err


def test_unreachable_catalog_database_fails_without_showing_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(ARGS, ENV) == 1
    err = capsys.readouterr().err
    assert "DatasetPublishFailed" in err and "127.0.0.1:9/ds_snds_demo" in err
    assert ENV["PGPASSWORD"] not in err


def test_connection_reprs_hold_no_secret() -> None:
    database = CatalogDatabase("db.example", 5432, "ds_x", "steward", "pg-secret-value")
    store = S3Access("http://s3.example:9000", "steward", "s3-secret-value")
    assert "pg-secret-value" not in repr(database)
    assert "s3-secret-value" not in repr(store)


def test_publication_puts_every_table_under_the_dataset_prefix() -> None:
    target = Publication("snds-demo", "snds", "ds-snds-demo", "sample/v1")
    assert target.table_location("ir_ben_r") == "s3://ds-snds-demo/sample/v1/ir_ben_r"
    with pytest.raises(PublishError, match="prefix"):
        Publication("snds-demo", "snds", "ds-snds-demo", "sample/v1\n")
