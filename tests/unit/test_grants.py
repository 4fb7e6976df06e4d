"""When a grant is in force: bound to the Workspace and Dataset objects it first saw,
never to a later object of the same name, and only while its dataset may be granted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from havre.pipeline.conditions import Check, summary
from havre.pipeline.grants import grant_state, grant_status
from havre.pipeline.records import DatasetRecord, GrantRecord, WorkspaceRecord
from tests.unit.conftest import NOW

LATER = "2030-01-01T00:00:00Z"
EARLIER = "2026-01-01T00:00:00Z"
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def at(days: int) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")


def grant(
    ws: str = "cardio",
    ds: str = "snds",
    expires: str = LATER,
    created: int = 1,
    status: dict[str, Any] | None = None,
    **meta: Any,
) -> GrantRecord:
    return GrantRecord.from_body(
        {
            "metadata": {"name": "g", "uid": "g-uid", "creationTimestamp": at(created), **meta},
            "spec": {"workspace": ws, "dataset": ds, "legalBasis": "MR-004", "expires": expires},
            "status": status or {},
        }
    )


def workspace(uid: str = "ws-uid", created: int = 0, deleting: bool = False) -> WorkspaceRecord:
    return WorkspaceRecord("cardio", uid, T0 + dt.timedelta(days=created), deleting)


def dataset(uid: str = "ds-uid", created: int = 0) -> DatasetRecord:
    return DatasetRecord.from_body(
        {
            "metadata": {"name": "snds", "uid": uid, "creationTimestamp": at(created)},
            "spec": {
                "title": "t",
                "bucket": "datasets",
                "prefix": "snds",
                "icebergNamespace": "snds",
                "steward": "sam",
            },
        }
    )


def reason(state: Any) -> str:
    return str(summary(list(state.checks)).reason)


def test_grant_made_after_its_workspace_and_dataset_is_in_force_and_binds_their_uids() -> None:
    state = grant_state(grant(), workspace(), dataset(), None, NOW)
    assert state.in_force
    assert (state.workspace_uid, state.dataset_uid) == ("ws-uid", "ds-uid")
    status = grant_status({}, 1, state, NOW)
    assert status["workspaceUID"] == "ws-uid" and status["datasetUID"] == "ds-uid"
    assert status["conditions"][0]["type"] == "Ready"


def test_grant_made_before_its_workspace_never_opens_it() -> None:
    state = grant_state(grant(created=1), workspace(created=2), dataset(), None, NOW)
    assert not state.in_force
    assert reason(state) == "WorkspaceNotFound"
    assert "created after this grant" in summary(list(state.checks)).message
    assert state.workspace_uid == ""


def test_grant_made_before_its_dataset_never_opens_it() -> None:
    state = grant_state(grant(created=1), workspace(), dataset(created=3), None, NOW)
    assert reason(state) == "DatasetNotFound"


def test_bound_grant_never_opens_a_later_namesake() -> None:
    bound = grant(status={"workspaceUID": "old-uid", "datasetUID": "ds-uid"})
    state = grant_state(bound, workspace(uid="new-uid", created=-5), dataset(), None, NOW)
    assert not state.in_force
    assert reason(state) == "WorkspaceDeleted"
    assert state.workspace_uid == "old-uid", "the binding is kept, never moved"


def test_grant_of_a_deleted_workspace_says_so() -> None:
    bound = grant(status={"workspaceUID": "ws-uid"})
    assert reason(grant_state(bound, None, dataset(), None, NOW)) == "WorkspaceDeleted"
    deleting = workspace(deleting=True)
    assert reason(grant_state(bound, deleting, dataset(), None, NOW)) == "WorkspaceDeleted"


def test_recreated_dataset_is_not_opened_by_an_old_grant() -> None:
    bound = grant(status={"workspaceUID": "ws-uid", "datasetUID": "old-ds"})
    assert reason(grant_state(bound, workspace(), dataset(uid="new-ds"), None, NOW)) == (
        "DatasetDeleted"
    )


def test_grant_of_an_invalid_dataset_carries_the_datasets_reason() -> None:
    problem = Check("Valid", False, "ReservedName", "reserved")
    state = grant_state(grant(), workspace(), dataset(), problem, NOW)
    assert not state.in_force
    assert reason(state) == "ReservedName"


def test_expired_grant_says_when_access_ended() -> None:
    state = grant_state(grant(expires=EARLIER), workspace(), dataset(), None, NOW)
    assert reason(state) == "Expired"
    assert EARLIER in summary(list(state.checks)).message


def test_grant_being_deleted_is_not_in_force() -> None:
    deleting = grant(deletionTimestamp=at(5))
    assert not grant_state(deleting, workspace(), dataset(), None, NOW).in_force


def test_missing_workspace_is_named() -> None:
    state = grant_state(grant(ws="gone"), None, dataset(), None, NOW)
    assert reason(state) == "WorkspaceNotFound"
    assert "gone" in summary(list(state.checks)).message


def test_unparseable_grant_is_invalid() -> None:
    broken = GrantRecord.from_body({"metadata": {"name": "b"}, "spec": {"workspace": "cardio"}})
    state = grant_state(broken, workspace(), dataset(), None, NOW)
    assert reason(state) == "InvalidSpec" and broken.workspace == "cardio"


def test_grant_that_saw_no_workspace_never_attaches_to_one_made_in_the_same_second() -> None:
    saw_none = grant(
        status={
            "conditions": [
                {"type": "WorkspaceFound", "status": "False", "reason": "WorkspaceNotFound"}
            ]
        }
    )
    same_second = workspace(created=1)
    assert grant_state(grant(), same_second, dataset(), None, NOW).in_force
    assert reason(grant_state(saw_none, same_second, dataset(), None, NOW)) == "WorkspaceNotFound"
