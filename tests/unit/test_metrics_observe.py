"""How reconciles, revocations and repairs are counted, and how external calls are measured."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from havre.errors import DependencyUnavailable, InvalidSpec
from havre.external.objectstore import ObjectStoreRejected
from havre.metrics import observe
from havre.metrics.definitions import REGISTRY
from havre.metrics.instrument import instrument
from havre.metrics.view import View

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def status(
    ready: bool, reason: str, access: tuple[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": str(ready), "reason": reason}]
    if access is not None:
        conditions.append({"type": "Access", "status": access[0], "reason": access[1]})
    return {"conditions": conditions, **extra}


def workspace(old: dict[str, Any] | None, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "cardio", "uid": "uid-1", "creationTimestamp": "2026-11-28T11:59:30Z"},
        "spec": {"expires": "2026-11-28T11:59:58Z", **spec},
        "status": old or {},
    }


@pytest.mark.parametrize(
    ("new", "retry", "result", "error"),
    [
        (status(True, "Ready"), False, "ready", None),
        (status(False, "Suspended"), False, "not_ready", None),
        (status(False, "OwnerRoleConflict"), False, "error", "OwnerRoleConflict"),
        (
            {
                "conditions": [
                    *status(False, "X")["conditions"],
                    {"type": "Degraded", "status": "True", "reason": "ObjectStoreUnavailable"},
                ]
            },
            True,
            "retry",
            "ObjectStoreUnavailable",
        ),
    ],
)
def test_reconcile_results_separate_intended_states_from_errors(
    new: dict[str, Any], retry: bool, result: str, error: str | None
) -> None:
    before = value("havre_reconciles_total", kind="Workspace", result=result)
    errors = value("havre_reconcile_errors_total", kind="Workspace", reason=error or "")
    observe.workspace_reconciled(workspace(None), new, retry, NOW, View())
    assert value("havre_reconciles_total", kind="Workspace", result=result) == before + 1
    if error:
        assert value("havre_reconcile_errors_total", kind="Workspace", reason=error) == errors + 1


def test_time_to_ready_is_observed_once_from_creation() -> None:
    view = View()
    count = value("havre_time_to_ready_seconds_count", kind="Workspace")
    total = value("havre_time_to_ready_seconds_sum", kind="Workspace")
    observe.workspace_reconciled(
        workspace(status(False, "Pending")), status(True, "Ready"), False, NOW, view
    )
    observe.workspace_reconciled(
        workspace(status(False, "Pending")), status(True, "Ready"), False, NOW, view
    )
    assert value("havre_time_to_ready_seconds_count", kind="Workspace") == count + 1
    assert value("havre_time_to_ready_seconds_sum", kind="Workspace") == total + 30


def test_expiry_revokes_the_workspace_and_its_ended_grants_with_their_delay() -> None:
    old = status(
        True,
        "Ready",
        ("True", "Granted"),
        grants=[
            {"name": "ended", "expires": "2026-11-28T11:59:59Z"},
            {"name": "deleted-elsewhere", "expires": "2027-01-01T00:00:00Z"},
        ],
    )
    new = status(False, "Expired", ("False", "Expired"), grants=[])
    ws_before = value("havre_revocations_total", kind="Workspace", cause="expired")
    grant_before = value("havre_revocations_total", kind="DatasetGrant", cause="expired")
    delay_sum = value("havre_revocation_delay_seconds_sum", cause="expired")
    observe.workspace_reconciled(workspace(old), new, False, NOW, View())
    assert value("havre_revocations_total", kind="Workspace", cause="expired") == ws_before + 1
    # only the grant whose end has passed counts as expired; a deletion is counted apart
    assert (
        value("havre_revocations_total", kind="DatasetGrant", cause="expired") == grant_before + 1
    )
    assert value("havre_revocation_delay_seconds_sum", cause="expired") == delay_sum + 2 + 1


def test_a_failing_reconcile_counts_no_revocation() -> None:
    old = status(True, "Ready", ("True", "Granted"))
    new = {
        "conditions": [
            *status(False, "Suspended", ("False", "Suspended"))["conditions"],
            {"type": "Degraded", "status": "True", "reason": "CatalogDatabaseUnavailable"},
        ]
    }
    before = value("havre_revocations_total", kind="Workspace", cause="suspended")
    observe.workspace_reconciled(workspace(old), new, True, NOW, View())
    assert value("havre_revocations_total", kind="Workspace", cause="suspended") == before


def test_a_deleted_grant_counts_as_revoked_only_if_it_was_in_force() -> None:
    def grant(ready: bool) -> dict[str, Any]:
        return {
            "metadata": {"name": "g", "deletionTimestamp": "2026-11-28T11:59:57Z"},
            "status": status(ready, "Active" if ready else "Expired"),
        }

    before = value("havre_revocations_total", kind="DatasetGrant", cause="deleted")
    delay = value("havre_revocation_delay_seconds_sum", cause="deleted")
    observe.grant_deleted(grant(False), NOW)
    observe.grant_deleted(grant(True), NOW)
    assert value("havre_revocations_total", kind="DatasetGrant", cause="deleted") == before + 1
    assert value("havre_revocation_delay_seconds_sum", cause="deleted") == delay + 3


def test_drift_repairs_are_counted_by_system_and_resource_type() -> None:
    before = value("havre_drift_repairs_total", system="kubernetes", resource="NetworkPolicy")
    user = value("havre_drift_repairs_total", system="object_store", resource="user")
    revoked = value(
        "havre_drift_repairs_total", system="catalog_database", resource="catalog-grant"
    )
    observe.drift_repaired(
        ["NetworkPolicy/ws-cardio/deny-all"], [], ["user/ws-cardio", "-catalog-grant/snds"]
    )
    assert (
        value("havre_drift_repairs_total", system="kubernetes", resource="NetworkPolicy")
        == before + 1
    )
    assert value("havre_drift_repairs_total", system="object_store", resource="user") == user + 1
    assert (
        value("havre_drift_repairs_total", system="catalog_database", resource="catalog-grant")
        == revoked + 1
    )


def test_an_exception_escaping_a_reconcile_counts_one_error_and_leaves_nothing_in_flight() -> None:
    @observe.reconciles("Workspace")
    def failing() -> None:
        raise DependencyUnavailable("down", reason="KubernetesUnavailable")

    errors = value("havre_reconcile_errors_total", kind="Workspace", reason="KubernetesUnavailable")
    results = value("havre_reconciles_total", kind="Workspace", result="error")
    with pytest.raises(DependencyUnavailable):
        failing()
    assert (
        value("havre_reconcile_errors_total", kind="Workspace", reason="KubernetesUnavailable")
        == errors + 1
    )
    assert value("havre_reconciles_total", kind="Workspace", result="error") == results + 1
    assert value("havre_reconciles_in_flight", kind="Workspace") == 0


def test_a_reported_reconcile_is_timed_and_counted_once() -> None:
    @observe.reconciles("DatasetGrant")
    def reconcile() -> str:
        observe.grant_reconciled(
            {"metadata": {}, "status": {}}, status(True, "Active"), NOW, View()
        )
        return "done"

    count = value("havre_reconcile_duration_seconds_count", kind="DatasetGrant")
    ready = value("havre_reconciles_total", kind="DatasetGrant", result="ready")
    assert reconcile() == "done"
    assert value("havre_reconcile_duration_seconds_count", kind="DatasetGrant") == count + 1
    assert value("havre_reconciles_total", kind="DatasetGrant", result="ready") == ready + 1


class Store:
    endpoint = "minio:9000"

    def ensure_bucket(self, bucket: str, quota: int) -> bool:
        return bucket == "new"

    def delete_bucket(self, bucket: str) -> bool:
        raise DependencyUnavailable("refused", reason="ObjectStoreUnavailable")

    def attach_policy(self, policy: str, user: str) -> bool:
        raise ObjectStoreRejected("no such user", code="XMinioAdminNoSuchUser", status=404)

    def _private(self) -> int:
        return 1


def test_instrumented_client_behaves_as_the_client_and_counts_each_call() -> None:
    store = instrument(Store(), "test_store")
    calls = value("havre_external_requests_total", system="test_store", operation="ensure_bucket")
    assert store.ensure_bucket("new", 1) is True
    assert store.endpoint == "minio:9000"
    assert store._private() == 1
    assert (
        value("havre_external_requests_total", system="test_store", operation="ensure_bucket")
        == calls + 1
    )
    assert value("havre_external_system_up", system="test_store") == 1
    assert not value("havre_external_requests_total", system="test_store", operation="_private")


def test_unreachable_system_is_down_but_a_refusal_means_it_answered() -> None:
    store = instrument(Store(), "test_store2")
    with pytest.raises(DependencyUnavailable):
        store.delete_bucket("b")
    assert value("havre_external_system_up", system="test_store2") == 0
    assert (
        value(
            "havre_external_request_errors_total",
            system="test_store2",
            operation="delete_bucket",
            reason="ObjectStoreUnavailable",
        )
        == 1
    )
    with pytest.raises(ObjectStoreRejected):
        store.attach_policy("p", "u")
    assert value("havre_external_system_up", system="test_store2") == 1
    assert (
        value(
            "havre_external_request_errors_total",
            system="test_store2",
            operation="attach_policy",
            reason="ObjectStoreRejected",
        )
        == 1
    )
    assert (
        value(
            "havre_external_request_duration_seconds_count",
            system="test_store2",
            operation="attach_policy",
        )
        == 1
    )


def test_error_reasons_stay_bounded_camel_case_words() -> None:
    from havre.metrics.instrument import error_reason

    assert error_reason(InvalidSpec("x", reason="OwnerRoleConflict")) == "OwnerRoleConflict"
    assert error_reason(ValueError("user alice not found")) == "ValueError"
    assert error_reason(InvalidSpec("x", reason="not a reason: alice")) == "Other"
