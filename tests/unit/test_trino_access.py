"""Trino's access rules and group file: each role gets what docs/rbac.md promises, a
non-member matches no rule, nobody may call a procedure, and unsafe names never get in."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from havre.errors import InvalidSpec
from havre.pipeline.render.trino_access import (
    GrantedCatalog,
    render_access_rules,
    render_access_rules_json,
    render_group_file,
)
from havre.pipeline.validate import ValidWorkspace
from tests.unit.trino_fixtures import COHORT, SNDS, assert_golden_text


def first_match(rules: list[dict[str, Any]], groups: set[str], **fields: str) -> dict[str, Any]:
    """The rule Trino applies: the first whose patterns all match (absent ones match all)."""
    for rule in rules:
        if "group" in rule and not any(re.fullmatch(rule["group"], g) for g in groups):
            continue
        if all(re.fullmatch(rule.get(k, ".*"), v) for k, v in fields.items()):
            return rule
    return {}


RULES = render_access_rules([SNDS, COHORT])


def catalog_access(groups: set[str], catalog: str) -> str:
    return str(first_match(RULES["catalogs"], groups, catalog=catalog).get("allow", "none"))


def table_privileges(groups: set[str], catalog: str) -> list[str]:
    return list(first_match(RULES["tables"], groups, catalog=catalog).get("privileges", []))


def test_rules_match_golden() -> None:
    assert_golden_text("trino-rules.json", render_access_rules_json([SNDS, COHORT]))


def test_owners_and_analysts_read_and_write_the_workspace() -> None:
    for group in ("owner", "analyst"):
        assert catalog_access({group}, "workspace") == "all"
        assert {"SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP"} <= set(
            table_privileges({group}, "workspace")
        )


def test_viewers_read_the_workspace_only_through_its_read_only_catalog() -> None:
    # Read access to `workspace` itself would let a viewer run table procedures there.
    assert catalog_access({"viewer"}, "workspace") == "none"
    assert catalog_access({"viewer"}, "workspace_readonly") == "read-only"
    assert table_privileges({"viewer"}, "workspace_readonly") == ["SELECT"]
    assert first_match(RULES["schemas"], {"viewer"}, catalog="workspace_readonly") == {}


def test_every_member_reads_the_read_only_workspace_catalog() -> None:
    for group in ("owner", "analyst", "viewer"):
        assert catalog_access({group}, "workspace_readonly") == "read-only"


def test_every_member_only_reads_granted_datasets() -> None:
    for group in ("owner", "analyst", "viewer"):
        for catalog in ("snds_sample", "cohort_2019"):
            assert catalog_access({group}, catalog) == "read-only"
            assert table_privileges({group}, catalog) == ["SELECT"]


def test_non_member_can_do_nothing() -> None:
    for catalog in ("workspace", "workspace_readonly", "snds_sample", "system"):
        assert catalog_access(set(), catalog) == "none"
    assert first_match(RULES["queries"], set()) == {}


def test_a_catalog_not_granted_is_reached_by_nobody() -> None:
    assert catalog_access({"owner"}, "other_dataset") == "none"
    assert catalog_access({"owner"}, "snds_samplex") == "none"


def test_nobody_may_call_any_procedure() -> None:
    assert RULES["procedures"] == [{"privileges": []}]


def test_nobody_may_shorten_snapshot_retention() -> None:
    rule = first_match(
        RULES["catalog_session_properties"], {"owner"}, property="expire_snapshots_min_retention"
    )
    assert rule["allow"] is False


def test_rules_are_stable_for_the_same_grants_in_any_order() -> None:
    assert render_access_rules_json([COHORT, SNDS]) == render_access_rules_json([SNDS, COHORT])
    json.loads(render_access_rules_json([]))


def test_group_file_lists_members_by_role(cardio: ValidWorkspace) -> None:
    assert render_group_file(cardio) == "owner:alice\nanalyst:bob\nviewer:carol\n"


def test_expired_or_suspended_workspace_has_no_groups(cardio: ValidWorkspace) -> None:
    assert render_group_file(dataclasses.replace(cardio, expired=True)) == ""
    suspended = cardio.spec.model_copy(update={"suspended": True})
    assert render_group_file(dataclasses.replace(cardio, spec=suspended)) == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"catalog_name": "workspace"},
        {"catalog_name": "system"},
        {"catalog_name": "workspace_readonly"},
        {"catalog_name": "a|b"},
        {"catalog_name": "Snds"},
        {"database": "ds'; DROP"},
        {"prefix": "../ws-other"},
        {"bucket": "ws_x"},
        {"dataset": "a--b"},
    ],
)
def test_unsafe_grant_names_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidSpec):
        GrantedCatalog(**{**dataclasses.asdict(SNDS), **fields})


def test_a_dataset_gets_a_catalog_named_after_it() -> None:
    grant = GrantedCatalog.for_dataset("snds-sample", "datasets", "snds/v1")
    assert (grant.catalog_name, grant.database) == ("snds_sample", "ds_snds_sample")


def test_a_dataset_named_like_a_reserved_catalog_is_refused() -> None:
    with pytest.raises(InvalidSpec, match="reserved"):
        GrantedCatalog.for_dataset("workspace", "datasets", "x")
