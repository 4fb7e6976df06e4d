"""The storage policy confines a workspace to its bucket and each granted dataset to its prefix."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from havre.api.model import BUCKET_PATTERN, PREFIX_PATTERN
from havre.errors import InvalidSpec
from havre.pipeline.render.objectstore_policy import (
    DATASET_ACTIONS,
    DatasetLocation,
    render_objectstore_policy,
)
from tests.unit.conftest import assert_golden

WORKSPACE = "ws-cardio"
GRANTS = (
    DatasetLocation("hospital-data", "cohorts/2024"),
    DatasetLocation("hospital-data", "registry"),
    DatasetLocation("open-data", "insee/deces"),
)
#: Actions that only read; anything else in a statement counts as a write.
READ_ACTIONS = frozenset(
    {
        *DATASET_ACTIONS,
        "s3:GetObjectVersion",
        "s3:ListBucketMultipartUploads",
        "s3:ListBucketVersions",
        "s3:ListMultipartUploadParts",
    }
)


def iam_matches(pattern: str, value: str) -> bool:
    """IAM resource matching: ``*`` is any run of characters (``/`` included), ``?`` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def granted_resources(document: dict[str, Any], *, writes: bool = False) -> list[str]:
    """Resources of every statement; with ``writes``, only of statements that can write."""
    return [
        resource
        for statement in document["Statement"]
        if not writes or set(statement["Action"]) - READ_ACTIONS
        for resource in statement["Resource"]
    ]


def listable(document: dict[str, Any], bucket: str, prefix: str) -> bool:
    """Whether some statement lets ``s3:ListBucket`` run on ``bucket`` with ``prefix``."""
    for statement in document["Statement"]:
        if "s3:ListBucket" not in statement["Action"]:
            continue
        if not any(iam_matches(r, f"arn:aws:s3:::{bucket}") for r in statement["Resource"]):
            continue
        allowed = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if allowed is None or any(iam_matches(p, prefix) for p in allowed):
            return True
    return False


def test_iam_matcher_treats_star_as_any_run_and_question_mark_as_one_character() -> None:
    assert iam_matches("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/x/y.csv")
    assert iam_matches("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p/")
    assert not iam_matches("arn:aws:s3:::b/p/*", "arn:aws:s3:::b/p2/x")
    assert iam_matches("a?c", "abc") and not iam_matches("a?c", "ac")
    assert not iam_matches("a.c", "abc")


def test_policy_matches_the_golden_document() -> None:
    assert_golden("objectstore-policy", render_objectstore_policy(WORKSPACE, GRANTS))


def test_workspace_without_grants_reaches_exactly_its_own_bucket() -> None:
    document = render_objectstore_policy(WORKSPACE)
    assert sorted(granted_resources(document)) == [
        "arn:aws:s3:::ws-cardio",
        "arn:aws:s3:::ws-cardio/*",
    ]
    everything = granted_resources(document)
    assert not any(iam_matches(r, "arn:aws:s3:::ws-cardio2/x") for r in everything)
    assert not any(iam_matches(r, "arn:aws:s3:::ws-cardi") for r in everything)
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_dataset_listing_is_limited_to_its_prefix() -> None:
    document = render_objectstore_policy(WORKSPACE, GRANTS)
    assert listable(document, "hospital-data", "registry/")
    assert listable(document, "hospital-data", "cohorts/2024/q1/")
    assert not listable(document, "hospital-data", "")
    assert not listable(document, "hospital-data", "registry")  # would list registry-old/
    assert not listable(document, "hospital-data", "cohorts/")
    assert not listable(document, "open-data", "registry/")


def test_no_write_action_targets_a_dataset() -> None:
    document = render_objectstore_policy(WORKSPACE, GRANTS)
    assert sorted(granted_resources(document, writes=True)) == ["arn:aws:s3:::ws-cardio/*"]


def test_rendering_ignores_grant_order_and_duplicates() -> None:
    expected = render_objectstore_policy(WORKSPACE, GRANTS)
    for order in itertools.permutations(GRANTS):
        assert render_objectstore_policy(WORKSPACE, (*order, order[0])) == expected


def test_dataset_in_the_workspace_own_bucket_is_refused() -> None:
    with pytest.raises(InvalidSpec, match="own bucket"):
        render_objectstore_policy(WORKSPACE, (DatasetLocation(WORKSPACE, "shared"),))


@pytest.mark.parametrize(
    ("bucket", "prefix"),
    [
        ("data", "*"),
        ("data", "cohort/*"),
        ("data", "cohort?"),
        ("data", "../ws-other"),
        ("data", "cohort/../../x"),
        ("data", '"},{"Effect":"Allow'),
        ("data", "/absolute"),
        ("data", "trailing/"),
        ("data", "${aws:username}"),
        ("data", "cohort\n"),
        ("data", "é"),
        ("da*", "cohort"),
        ("data/x", "cohort"),
    ],
)
def test_hostile_locations_are_refused(bucket: str, prefix: str) -> None:
    with pytest.raises(InvalidSpec):
        DatasetLocation(bucket, prefix)


_HOSTILE = st.sampled_from(
    ["*", "?", "..", "/", "'", '"', "\\", "$", "{", "}", "\n", "é", "\u202e", "-", "_", "a", "0"]
)
_hostile_text = st.lists(_HOSTILE, max_size=12).map("".join)
prefixes = st.one_of(
    st.from_regex(PREFIX_PATTERN, fullmatch=True),
    _hostile_text,
    st.text(max_size=40),
    st.text(alphabet="ab/", min_size=500, max_size=700),
)
buckets = st.one_of(st.from_regex(BUCKET_PATTERN, fullmatch=True), _hostile_text)
keys = st.one_of(st.text(max_size=30), st.text(alphabet="ab/.*-", max_size=30))


@settings(max_examples=400, deadline=None)
@given(bucket=buckets, prefix=prefixes, probes=st.lists(keys, max_size=10))
@example(bucket="data", prefix="cohort\n", probes=[])
def test_valid_dataset_grant_never_reaches_outside_its_prefix(
    bucket: str, prefix: str, probes: list[str]
) -> None:
    valid = bool(re.fullmatch(BUCKET_PATTERN, bucket) and re.fullmatch(PREFIX_PATTERN, prefix))
    if not valid:
        with pytest.raises(InvalidSpec):
            DatasetLocation(bucket, prefix)
        return
    if bucket == WORKSPACE:
        return  # refused, see test_dataset_in_the_workspace_own_bucket_is_refused
    document = render_objectstore_policy(WORKSPACE, (DatasetLocation(bucket, prefix),))
    resources = granted_resources(document)
    inside = f"{prefix}/"
    candidates = [
        *probes,
        *(p + k for p in (inside, prefix, prefix + "-", prefix[:-1], "") for k in ("", "x", "/x")),
    ]
    for key in candidates:
        reachable = any(iam_matches(r, f"arn:aws:s3:::{bucket}/{key}") for r in resources)
        assert reachable == key.startswith(inside), key
        assert listable(document, bucket, key) == key.startswith(inside), key
        for other in {bucket + "x", bucket[:-1], "ws-other"} - {WORKSPACE}:
            assert not any(iam_matches(r, f"arn:aws:s3:::{other}/{key}") for r in resources)
            assert not listable(document, other, key)
    for write in granted_resources(document, writes=True):
        assert not iam_matches(write, f"arn:aws:s3:::{bucket}")
        assert not iam_matches(write, f"arn:aws:s3:::{bucket}/{inside}x")
