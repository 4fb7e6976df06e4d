"""The object-store policy of a workspace: its own bucket read-write, granted datasets read-only.

The document is built as data, never by pasting strings into JSON, and every name in it is
checked against the API's patterns first: a bucket or prefix holding a wildcard, a quote,
``..`` or a policy variable could otherwise widen a statement beyond the dataset.
The output is deterministic (sorted, duplicates removed), so comparing the rendered document
with the stored one tells whether anything changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from havre.api.model import BUCKET_PATTERN, PREFIX_PATTERN
from havre.api.names import OWNER_KEY
from havre.errors import InvalidSpec

POLICY_VERSION = "2012-10-17"

#: Bucket-level actions on the workspace's own bucket.
WORKSPACE_BUCKET_ACTIONS = (
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
)
#: Object-level actions on the workspace's own bucket. Reading old versions is allowed;
#: deleting a version for good is not, so versioning keeps protecting the project's results.
WORKSPACE_OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)
#: Everything a granted dataset allows: read its current objects, list under its prefix,
#: and locate its bucket (clients ask before their first request to a bucket).
DATASET_ACTIONS = ("s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket")


def _arn(resource: str) -> str:
    return f"arn:aws:s3:::{resource}"


def _check(value: str, pattern: str, what: str) -> None:
    # fullmatch, not match: "$" in the API's patterns also matches before a trailing newline.
    if not re.fullmatch(pattern, value):
        raise InvalidSpec(f"{what} {value!r} does not match {pattern}", reason="InvalidStorageName")


@dataclass(frozen=True, order=True)
class DatasetLocation:
    """Where a granted dataset lives: a bucket, and a relative prefix inside it.

    Construction checks both against the API's ``BUCKET_PATTERN`` and ``PREFIX_PATTERN``,
    so a location that exists is safe to put in a policy.
    """

    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        _check(self.bucket, BUCKET_PATTERN, "dataset bucket")
        _check(self.prefix, PREFIX_PATTERN, "dataset prefix")


def owner_id(uid: str) -> str:
    """The policy's ``ID``: records the Workspace (UID) the policy belongs to."""
    return f"{OWNER_KEY}={uid}"


def render_objectstore_policy(
    workspace_bucket: str, datasets: Iterable[DatasetLocation] = (), owner: str = ""
) -> dict[str, Any]:
    """The IAM policy document of a workspace, recording its ``owner`` UID in ``ID``.

    Full read-write on exactly ``workspace_bucket`` (``ws-a`` does not reach ``ws-ab``), and
    for each dataset: ``s3:GetObject`` on ``<bucket>/<prefix>/*``, ``s3:ListBucket`` on its
    bucket only for the prefixes ``<prefix>/`` and ``<prefix>/*`` (a bare ``<prefix>`` would
    list sibling prefixes' names), ``s3:GetBucketLocation`` on its bucket. No statement
    writes anywhere but the workspace's bucket. A dataset inside the workspace's own bucket
    is refused: it would not be read-only.
    """
    _check(workspace_bucket, BUCKET_PATTERN, "workspace bucket")
    locations = sorted(set(datasets))
    for location in locations:
        if location.bucket == workspace_bucket:
            raise InvalidSpec(
                f"dataset prefix {location.prefix!r} is in the workspace's own bucket "
                f"{workspace_bucket}, where it could not be read-only",
                reason="InvalidStorageName",
            )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WorkspaceBucket",
            "Effect": "Allow",
            "Action": list(WORKSPACE_BUCKET_ACTIONS),
            "Resource": [_arn(workspace_bucket)],
        },
        {
            "Sid": "WorkspaceObjects",
            "Effect": "Allow",
            "Action": list(WORKSPACE_OBJECT_ACTIONS),
            "Resource": [_arn(f"{workspace_bucket}/*")],
        },
    ]
    if locations:
        statements.extend(_dataset_statements(locations))
    document: dict[str, Any] = {"Version": POLICY_VERSION, "Statement": statements}
    if owner:
        document = {"ID": owner_id(owner), **document}
    return document


def dataset_read_statements(locations: Iterable[DatasetLocation]) -> list[dict[str, Any]]:
    """The statements that read exactly ``locations`` (a workspace's granted datasets, or
    one remote grant's credentials at the holder: federation/remote_grant.py)."""
    return _dataset_statements(sorted(set(locations)))


def _dataset_statements(locations: list[DatasetLocation]) -> list[dict[str, Any]]:
    buckets = sorted({loc.bucket for loc in locations})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DatasetBucketLocation",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [_arn(bucket) for bucket in buckets],
        }
    ]
    # One listing statement per bucket: a condition shared across buckets would let a prefix
    # granted in one bucket be listed in another.
    for index, bucket in enumerate(buckets):
        prefixes = sorted(
            {
                p
                for loc in locations
                if loc.bucket == bucket
                for p in (f"{loc.prefix}/", f"{loc.prefix}/*")
            }
        )
        statements.append(
            {
                "Sid": f"DatasetList{index}",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [_arn(bucket)],
                "Condition": {"StringLike": {"s3:prefix": prefixes}},
            }
        )
    statements.append(
        {
            "Sid": "DatasetObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": sorted(_arn(f"{loc.bucket}/{loc.prefix}/*") for loc in locations),
        }
    )
    return statements
