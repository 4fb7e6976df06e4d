"""Which datasets may be granted: not in a workspace bucket, not overlapping an earlier
dataset, no reserved catalog name; the rules the controller and every reconcile share."""

from __future__ import annotations

import pytest

from havre.pipeline.datasets import dataset_problem
from havre.pipeline.records import DatasetRecord
from tests.unit.world import dataset_body, stamp


def record(
    name: str, bucket: str = "datasets", prefix: str | None = None, day: float = 0
) -> DatasetRecord:
    body = dataset_body(name, bucket, prefix)
    body["metadata"]["creationTimestamp"] = stamp(day)
    return DatasetRecord.from_body(body)


@pytest.mark.parametrize(
    "name", ["system", "workspace", "workspace-readonly", "information-schema"]
)
def test_a_name_whose_catalog_is_reserved_is_refused(name: str) -> None:
    problem = dataset_problem(record(name), [])
    assert problem is not None and problem.reason == "ReservedName"
    assert name.replace("-", "_") in problem.message


@pytest.mark.parametrize("bucket", ["ws-cardio", "ws-other"])
def test_a_dataset_in_a_workspace_bucket_is_refused(bucket: str) -> None:
    problem = dataset_problem(record("snds", bucket=bucket), [])
    assert problem is not None and problem.reason == "InvalidLocation"


def test_the_later_of_two_overlapping_datasets_is_refused_the_earlier_kept() -> None:
    early = record("cohort", prefix="cohort", day=0)
    late = record("cohort-2019", prefix="cohort/2019", day=1)
    same = record("copy", prefix="cohort", day=2)
    peers = [early, late, same]
    assert dataset_problem(early, peers) is None
    for refused in (late, same):
        problem = dataset_problem(refused, peers)
        assert problem is not None and problem.reason == "OverlappingLocation"
        assert "cohort" in problem.message


def test_sibling_prefixes_and_other_buckets_do_not_overlap() -> None:
    a = record("snds", prefix="snds", day=0)
    sibling = record("snds-2", prefix="snds-2", day=1)
    elsewhere = record("snds-copy", bucket="archive", prefix="snds", day=1)
    assert dataset_problem(sibling, [a, sibling]) is None
    assert dataset_problem(elsewhere, [a, elsewhere]) is None


def test_an_unparseable_dataset_is_invalid() -> None:
    broken = DatasetRecord.from_body({"metadata": {"name": "x"}, "spec": {"title": "t"}})
    problem = dataset_problem(broken, [])
    assert problem is not None and problem.reason == "InvalidDataset"
    assert "spec.bucket" in problem.message
