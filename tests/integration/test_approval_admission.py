"""Who may request, approve and change a workspace, and who may grant a dataset: the real API
server's admission policies (crds/admission-*.yaml) with impersonated users, each refusal's
message checked. No operator is needed: admission alone decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl
from tests.integration.workspaces import dataset, delete, grant, request, unique

pytestmark = pytest.mark.integration

PREFIX = "oidc:"
APPROVED_ONLY = "of an approved workspace may be changed only by an approver"
# The persona each test user holds; "ada" is a steward trusted with `grant` on one dataset.
PERSONAS = {
    "rita": "havre-researcher",
    "carla": "havre-approver",
    "sam": "havre-data-steward",
    "sue": "havre-data-steward",
    "ada": "havre-data-steward",
}


def create(kube: Kube, obj: dict[str, Any], user: str | None) -> tuple[bool, str]:
    result = kubectl(
        kube.kubeconfig,
        "create",
        "-f",
        "-",
        stdin=yaml.safe_dump(obj),
        as_user=f"{PREFIX}{user}" if user else None,
    )
    return result.returncode == 0, result.stderr


def patch(kube: Kube, resource: str, spec: dict[str, Any], user: str | None) -> tuple[bool, str]:
    result = kubectl(
        kube.kubeconfig,
        "patch",
        resource,
        "--type=merge",
        "-p",
        yaml.safe_dump({"spec": spec}),
        as_user=f"{PREFIX}{user}" if user else None,
    )
    return result.returncode == 0, result.stderr


def approval(by: str, decision: str = "Approved") -> dict[str, Any]:
    return {"approval": {"decision": decision, "by": by, "reason": "CNIL authorisation seen"}}


@pytest.fixture(scope="module")
def people(kube: Kube) -> Iterator[str]:
    """The test users bound to their personas; yields a suffix for this module's objects."""
    suffix = unique("adm").split("-")[1]
    made = []
    for user, persona in PERSONAS.items():
        name = f"test-{suffix}-{user}"
        result = kubectl(
            kube.kubeconfig,
            "create",
            "clusterrolebinding",
            name,
            f"--clusterrole={persona}",
            f"--user={PREFIX}{user}",
        )
        assert result.returncode == 0, result.stderr
        made.append(("clusterrolebinding", name))
    yield suffix
    for kind, name in made:
        kubectl(kube.kubeconfig, "delete", kind, name, "--ignore-not-found")


@pytest.fixture(scope="module")
def approved(kube: Kube, people: str) -> Iterator[str]:
    """rita's request, approved by carla; rita may edit it as its owner (the operator gives
    owners this ClusterRole, havre-ws-<name>-owners; here it is made by hand)."""
    name = f"req-{people}"
    ok, err = create(kube, request(name, owner="rita", members=[]), "rita")
    assert ok, err
    ok, err = patch(kube, f"workspace/{name}", approval(f"{PREFIX}carla"), "carla")
    assert ok, err
    role = f"test-{people}-owners"
    for args in (
        ["clusterrole", role, "--verb=get,update,patch", "--resource=workspaces.havre.io"],
        ["clusterrolebinding", role, f"--clusterrole={role}", f"--user={PREFIX}rita"],
    ):
        extra = [f"--resource-name={name}"] if args[0] == "clusterrole" else []
        result = kubectl(kube.kubeconfig, "create", *args, *extra)
        assert result.returncode == 0, result.stderr
    yield name
    delete(kube.kubeconfig, name)
    kubectl(kube.kubeconfig, "delete", "clusterrolebinding,clusterrole", role)


def test_researcher_cannot_request_a_workspace_for_another_owner(kube: Kube, people: str) -> None:
    ok, err = create(kube, request(f"other-{people}", owner="bob", members=[]), "rita")
    assert not ok
    assert "spec.owner: bob is not you (oidc:rita)" in err
    assert "an approver (ClusterRole havre-approver) may create one for someone else" in err


def test_researcher_request_awaits_an_approver(kube: Kube, people: str) -> None:
    name = f"own-{people}"
    ok, err = create(kube, request(name, owner="rita", members=[]), "rita")
    assert ok, err
    stored = yaml.safe_load(kubectl(kube.kubeconfig, "get", "workspace", name, "-o", "yaml").stdout)
    assert "approval" not in stored["spec"]
    assert stored["spec"]["sizeProfile"] == "standard"
    delete(kube.kubeconfig, name)


def test_researcher_cannot_approve_even_as_owner(kube: Kube, approved: str) -> None:
    ok, err = patch(kube, f"workspace/{approved}", approval(f"{PREFIX}rita"), "rita")
    assert not ok
    assert "spec.approval: only an approver" in err and "oidc:rita is not one" in err


def test_approver_must_sign_with_their_own_name(kube: Kube, approved: str) -> None:
    ok, err = patch(kube, f"workspace/{approved}", approval(f"{PREFIX}cora", "Rejected"), "carla")
    assert not ok
    assert "spec.approval.by must be your own username, oidc:carla" in err


def test_approver_cannot_approve_their_own_request(kube: Kube, people: str) -> None:
    name = f"mine-{people}"
    ok, err = create(kube, request(name, owner="carla", members=[]), "carla")
    assert ok, err
    ok, err = patch(kube, f"workspace/{name}", approval(f"{PREFIX}carla"), "carla")
    assert not ok
    assert f"oidc:carla owns workspace {name}; another approver must approve or reject it" in err
    delete(kube.kubeconfig, name)


def test_approver_may_request_a_workspace_for_someone_else(kube: Kube, people: str) -> None:
    name = f"for-{people}"
    ok, err = create(kube, request(name, owner="bob", members=[]), "carla")
    assert ok, err
    delete(kube.kubeconfig, name)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expires", "2035-01-01T00:00:00Z"),
        ("size", {"workers": 8}),
        ("sizeProfile", "large"),
        ("suspended", True),
        ("deletionPolicy", "Delete"),
    ],
)
def test_owner_cannot_change_what_the_approver_decided(
    kube: Kube, approved: str, field: str, value: Any
) -> None:
    ok, err = patch(kube, f"workspace/{approved}", {field: value}, "rita")
    assert not ok
    assert f"spec.{field} {APPROVED_ONLY}" in err
    assert "oidc:rita may still change title and members" in err


def test_owner_may_still_change_title_and_members(kube: Kube, approved: str) -> None:
    change = {"title": "Renamed study", "members": [{"user": "bob", "role": "viewer"}]}
    ok, err = patch(kube, f"workspace/{approved}", change, "rita")
    assert ok, err


def test_approver_may_change_expiry_size_and_suspension(kube: Kube, approved: str) -> None:
    change = {"expires": "2031-01-01T00:00:00Z", "size": {"workers": 2}, "suspended": True}
    ok, err = patch(kube, f"workspace/{approved}", change, "carla")
    assert ok, err
    ok, err = patch(kube, f"workspace/{approved}", {"suspended": False}, "carla")
    assert ok, err


def test_a_decision_is_withdrawn_by_rejecting_never_by_removing_it(
    kube: Kube, approved: str
) -> None:
    ok, err = patch(kube, f"workspace/{approved}", {"approval": None}, "carla")
    assert not ok
    assert "spec.approval cannot be removed once decided" in err


def test_data_steward_publishes_only_as_steward(kube: Kube, people: str) -> None:
    ok, err = create(kube, dataset(f"other-{people}", "datasets", "x", steward="sue"), "sam")
    assert not ok
    assert "spec.steward: sue is not you (oidc:sam)" in err


def test_only_the_datasets_steward_grants_it(kube: Kube, people: str) -> None:
    ds, ws = f"ds-{people}", f"grantee-{people}"
    ok, err = create(kube, dataset(ds, "datasets", ds, steward="sam"), "sam")
    assert ok, err
    refused, err = create(kube, grant(f"{ds}-sue", ws, ds), "sue")
    assert not refused
    assert f"only the steward of dataset {ds} (oidc:sam)" in err and "you are oidc:sue" in err
    ok, err = create(kube, grant(f"{ds}-sam", ws, ds), "sam")
    assert ok, err
    ok, err = patch(kube, f"datasetgrant/{ds}-sam", {"expires": "2029-01-01T00:00:00Z"}, "sue")
    assert not ok and f"only the steward of dataset {ds}" in err
    ok, err = patch(kube, f"dataset.havre.io/{ds}", {"steward": "sue"}, "sue")
    assert not ok and f"Dataset {ds} may be changed only by its steward (oidc:sam)" in err
    # Revocation always passes admission.
    deleted = kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ds}-sam", as_user="oidc:sue")
    assert deleted.returncode == 0, deleted.stderr
    kubectl(kube.kubeconfig, "delete", "dataset.havre.io", ds)


def test_grant_verb_on_one_dataset_delegates_that_dataset_only(kube: Kube, people: str) -> None:
    mine, other = f"deleg-{people}", f"nodeleg-{people}"
    for name in (mine, other):
        ok, err = create(kube, dataset(name, "datasets", name, steward="sam"), "sam")
        assert ok, err
    role = f"test-{people}-grant"
    made = kubectl(
        kube.kubeconfig,
        "create",
        "clusterrole",
        role,
        "--verb=grant",
        "--resource=datasets.havre.io",
        f"--resource-name={mine}",
    )
    assert made.returncode == 0, made.stderr
    bound = kubectl(
        kube.kubeconfig, "create", "clusterrolebinding", role, f"--clusterrole={role}",
        f"--user={PREFIX}ada",
    )  # fmt: skip
    assert bound.returncode == 0, bound.stderr
    ok, err = create(kube, grant(f"{mine}-g", "someone", mine), "ada")
    assert ok, err
    ok, err = create(kube, grant(f"{other}-g", "someone", other), "ada")
    assert not ok and f"only the steward of dataset {other}" in err
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{mine}-g", "--ignore-not-found")
    kubectl(kube.kubeconfig, "delete", "dataset.havre.io", mine, other)
    kubectl(kube.kubeconfig, "delete", "clusterrolebinding,clusterrole", role)
