"""Query events and decisions turned into audit records (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from havre.audit.admission import Observations, observe
from havre.audit.decisions import grant_decisions, workspace_decisions
from havre.audit.events import GrantInForce, Workspace, created_record, query_record

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
WS = Workspace("cardio", "3f1c5a9e-0000-4000-8000-000000000001")
GRANT = GrantInForce(
    "snds-sample", "d-uid", "cardio-snds", "g-uid", "MR-004", "2030-01-01T00:00:00Z"
)


def lookup(ws: Workspace, catalog: str, at: dt.datetime) -> GrantInForce | None:
    return GRANT if (ws, catalog) == (WS, "snds_sample") else None


def completed(**extra: Any) -> dict[str, Any]:
    event = {
        "metadata": {"queryId": "q1", "query": "SELECT ...", "queryState": "FINISHED"},
        "context": {"user": "bob", "principal": "bob", "environment": "havre_cardio"},
        "statistics": {"totalRows": 42, "totalBytes": 1000},
        "ioMetadata": {
            "inputs": [
                {"catalogName": "snds_sample", "schema": "snds", "table": "ir_ben_r"},
                {"catalogName": "workspace", "schema": "results", "table": "cohort"},
            ],
            "output": {"catalogName": "workspace", "schema": "results", "table": "out"},
        },
        "createTime": "2026-11-30T09:59:58.100Z",
        "endTime": "2026-11-30T09:59:59.900Z",
    }
    event.update(extra)
    return event


def test_a_finished_query_names_person_workspace_dataset_grant_and_basis() -> None:
    record = query_record(completed(), WS, lookup, NOW)
    assert (record["person"], record["workspace"], record["outcome"]) == (
        "bob",
        "cardio",
        "finished",
    )
    assert record["datasets"] == ["snds-sample"]
    (read,) = [t for t in record["tables"] if t["dataset"]]
    assert (read["grant"], read["legalBasis"], read["access"]) == ("cardio-snds", "MR-004", "read")
    written = [t for t in record["tables"] if t["access"] == "write"]
    assert written[0]["owner"] == "workspace" and written[0]["dataset"] is None
    assert (record["rows"], record["bytes"]) == (42, 1000)
    assert record["time"] == "2026-11-30T09:59:59.900Z"


def test_access_denied_is_a_failure_of_its_own_kind() -> None:
    failure = {
        "errorCode": {"code": 4, "name": "PERMISSION_DENIED", "type": "USER_ERROR"},
        "failureMessage": "Access Denied: Cannot access catalog workspace",
    }
    denied = query_record(completed(failureInfo=failure), WS, lookup, NOW)
    assert denied["outcome"] == "denied"
    assert denied["error"]["message"].startswith("Access Denied")
    other = {**failure, "errorCode": {"code": 46, "name": "TABLE_NOT_FOUND", "type": "USER_ERROR"}}
    assert query_record(completed(failureInfo=other), WS, lookup, NOW)["outcome"] == "failed"


def test_a_session_user_other_than_the_signed_in_person_is_recorded_too() -> None:
    event = completed(context={"user": "alice", "principal": "bob", "environment": "havre_cardio"})
    record = query_record(event, WS, lookup, NOW)
    assert (record["person"], record["sessionUser"]) == ("bob", "alice")


def test_a_dataset_read_without_a_grant_in_force_has_no_legal_basis() -> None:
    event = completed(
        ioMetadata={"inputs": [{"catalogName": "other_set", "schema": "s", "table": "t"}]}
    )
    (table,) = query_record(event, WS, lookup, NOW)["tables"]
    assert (table["dataset"], table["legalBasis"]) == ("other-set", None)


def test_a_created_event_records_who_started_the_query() -> None:
    event = {k: v for k, v in completed().items() if k in ("metadata", "context", "createTime")}
    record = created_record(event, WS, NOW)
    assert (record["kind"], record["person"], record["queryId"]) == ("query-created", "bob", "q1")


def workspace(members: list[dict[str, str]], **spec: Any) -> dict[str, Any]:
    return {
        "kind": "Workspace",
        "metadata": {"name": "cardio", "uid": WS.uid, "generation": 2},
        "spec": {"owner": "alice", "members": members, **spec},
    }


def test_membership_changes_become_one_decision_each() -> None:
    old = workspace([{"user": "bob", "role": "analyst"}, {"user": "carol", "role": "viewer"}])
    new = workspace([{"user": "bob", "role": "viewer"}, {"user": "dave", "role": "analyst"}])
    actions = [(d["action"], d["member"]) for d in workspace_decisions(old["spec"], new, NOW)]
    assert actions == [
        ("member-added", "dave"),
        ("member-removed", "carol"),
        ("member-role-changed", "bob"),
    ]


def test_an_approval_names_its_approver_and_a_suspension_is_recorded() -> None:
    old = workspace([])
    new = workspace([], approval={"decision": "Approved", "by": "oidc:paula"}, suspended=True)
    decisions = {d["action"]: d for d in workspace_decisions(old["spec"], new, NOW)}
    assert decisions["workspace-approved"]["by"] == "oidc:paula"
    assert decisions["workspace-approved"]["attribution"] == "spec.approval.by"
    assert "workspace-suspended" in decisions


def test_a_decision_takes_its_author_from_the_admission_request() -> None:
    grant = {
        "kind": "DatasetGrant",
        "metadata": {"name": "cardio-snds", "uid": "g-uid", "generation": 1},
        "spec": {"workspace": "cardio", "dataset": "snds", "legalBasis": "MR-004", "expires": "x"},
    }
    review = {
        "request": {
            "uid": "r1",
            "operation": "CREATE",
            "kind": {"kind": "DatasetGrant"},
            "userInfo": {"username": "oidc:sam"},
            "object": grant,
        }
    }
    seen = observe(review, NOW)
    assert seen is not None and seen.record["person"] == "oidc:sam"
    observations = Observations()
    observations.add(seen)
    (created,) = grant_decisions(None, grant, NOW)
    assert observations.attribute(created)["by"] == "oidc:sam"
    unseen = {**created, "object": {**created["object"], "uid": "other"}}
    assert observations.attribute(unseen)["attribution"] == "unobserved"


def test_an_update_of_metadata_only_is_not_a_request_to_record() -> None:
    obj = workspace([])
    review = {"request": {"operation": "UPDATE", "object": obj, "oldObject": obj, "uid": "r"}}
    assert observe(review, NOW) is None


def test_the_same_decision_sent_twice_carries_the_same_id() -> None:
    old = workspace([])
    new = workspace([{"user": "dave", "role": "viewer"}])
    (first,) = workspace_decisions(old["spec"], new, NOW)
    (again,) = workspace_decisions(old["spec"], new, NOW + dt.timedelta(seconds=3))
    other = workspace_decisions(old["spec"], workspace([{"user": "erin", "role": "viewer"}]), NOW)
    assert first["decisionId"] == again["decisionId"] != other[0]["decisionId"]


def test_a_request_first_seen_after_its_approval_is_attributed_to_its_creation() -> None:
    body = {
        "kind": "Workspace",
        "metadata": {"name": "cardio", "uid": WS.uid, "generation": 2},
        "spec": {"owner": "rita", "approval": {"decision": "Approved", "by": "oidc:carla"}},
    }
    requested, approved = workspace_decisions(None, body, NOW)
    assert (requested["action"], requested["object"]["generation"]) == ("workspace-requested", 1)
    assert (approved["action"], approved["object"]["generation"]) == ("workspace-approved", 2)
