"""Rule DataResidency: a grant may not move a provider-resident dataset off its provider."""

from __future__ import annotations

from typing import Any

from havre.api.model import DatasetSpec, WorkspaceSpec
from havre.federation.placement import MemberCluster
from havre.federation.residency import residency_refusal, resident_providers

SNC = MemberCluster("snc", {"havre.io/provider": "snc-host", "havre.io/secnumcloud": "true"}, True)
HDS = MemberCluster("hds", {"havre.io/provider": "hds-host", "havre.io/hds": "true"}, True)


def dataset(residency: str = "hds-host") -> DatasetSpec:
    return DatasetSpec.model_validate(
        {
            "title": "t",
            "bucket": "bkt",
            "prefix": "p",
            "icebergNamespace": "n",
            "steward": "s",
            "residency": residency,
        }
    )


def workspace(**placement: Any) -> WorkspaceSpec:
    return WorkspaceSpec.model_validate(
        {"title": "t", "owner": "o", "expires": "2030-01-01T00:00:00Z", "placement": placement}
    )


def refusal(
    ds: DatasetSpec | None = None,
    ws: WorkspaceSpec | None = None,
    placed: MemberCluster | None = None,
    others: set[str] | None = None,
) -> str | None:
    return residency_refusal(
        "g", "d", ds or dataset(), "w", ws or workspace(), placed, others or set(), [SNC, HDS]
    )


def test_dataset_readable_anywhere_is_no_residency_matter() -> None:
    assert refusal(ds=dataset("anywhere"), placed=SNC) is None


def test_workspace_at_the_datasets_provider_may_be_granted() -> None:
    assert refusal(placed=HDS) is None


def test_unplaced_workspace_that_can_run_at_the_provider_may_be_granted() -> None:
    assert refusal() is None


def test_workspace_running_at_another_provider_is_refused_naming_the_rule() -> None:
    message = refusal(placed=SNC)
    assert message is not None
    assert message.startswith("DataResidency: dataset d must stay at provider hds-host")
    assert "never moves" in message


def test_placement_excluding_the_provider_is_refused() -> None:
    assert "allows only providers snc-host" in (refusal(ws=workspace(providers=["snc-host"])) or "")


def test_no_member_at_the_provider_fitting_the_placement_is_refused() -> None:
    message = refusal(ws=workspace(certifications=["secnumcloud"]))
    assert message is not None and "no member at provider hds-host" in message


def test_data_resident_at_two_providers_cannot_meet_in_one_workspace() -> None:
    assert "already reads data" in (refusal(others={"snc-host"}) or "")


def test_only_grants_made_after_the_workspace_pin_it() -> None:
    ws = {"metadata": {"name": "w", "creationTimestamp": "2026-01-02T00:00:00Z"}}

    def grant(name: str, created: str) -> dict[str, Any]:
        return {
            "metadata": {"name": name, "creationTimestamp": created},
            "spec": {"workspace": "w", "dataset": "d"},
        }

    grants = [grant("old", "2026-01-01T00:00:00Z"), grant("new", "2026-01-03T00:00:00Z")]
    assert resident_providers(ws, grants, {"d": dataset()}) == {"hds-host"}
    assert resident_providers(ws, grants[:1], {"d": dataset()}) == set()
    assert resident_providers(ws, grants, {"d": dataset()}, excluding="new") == set()
