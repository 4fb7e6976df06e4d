"""Invalid objects are refused at admission, with a message that names the field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl
from tests.integration.workspaces import apply, delete, unique, workspace

pytestmark = pytest.mark.integration


def refused(kube: Kube, obj: dict[str, Any]) -> str:
    result = kubectl(kube.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(obj))
    assert result.returncode != 0, f"accepted: {obj}"
    return result.stderr


def test_too_long_name_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace("a" * 41))
    assert "metadata.name must be at most 40" in err


def test_long_hyphenated_name_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace("a" + "-b" * 39))  # 79 characters, each part valid
    assert "metadata.name must be at most 40" in err


def test_bad_member_role_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace(unique("role"), members=[{"user": "bob", "role": "admin"}]))
    assert "spec.members[0].role" in err and "Unsupported value" in err


def test_negative_worker_count_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace(unique("neg"), size={"workers": -1}))
    assert "spec.size.workers" in err


def test_negative_memory_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace(unique("neg"), size={"memory": "-4Gi"}))
    assert "spec.size.memory" in err


def test_memory_beyond_bounds_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace(unique("big"), size={"memory": "2Ti"}))
    assert "spec.size.memory" in err and "between 1Gi and 512Gi" in err


def test_expiry_in_the_past_is_refused(kube: Kube) -> None:
    err = refused(kube, workspace(unique("past"), expires="2020-01-01T00:00:00Z"))
    assert "spec.expires" in err and "not in the future" in err


def test_unknown_field_is_refused(kube: Kube) -> None:
    obj = workspace(unique("unknown"))
    obj["spec"]["colour"] = "blue"
    err = refused(kube, obj)
    assert 'unknown field "spec.colour"' in err


def test_duplicate_member_is_refused(kube: Kube) -> None:
    members = [{"user": "bob", "role": "viewer"}, {"user": "bob", "role": "analyst"}]
    err = refused(kube, workspace(unique("dup"), members=members))
    assert "spec.members" in err and "only once" in err


def test_owner_cannot_be_changed(kube: Kube) -> None:
    name = unique("immutable")
    apply(kube.kubeconfig, workspace(name))
    err = refused(kube, workspace(name, owner="mallory"))
    assert "spec.owner" in err and "immutable" in err
    delete(kube.kubeconfig, name)


def test_hostile_dataset_prefix_is_refused(kube: Kube) -> None:
    dataset = {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": unique("hostile")},
        "spec": {
            "title": "x",
            "bucket": "datasets",
            "prefix": "../other/*",
            "icebergNamespace": "snds",
            "steward": "sam",
        },
    }
    err = refused(kube, dataset)
    assert "spec.prefix" in err


def test_dataset_in_a_workspace_bucket_is_refused(kube: Kube) -> None:
    dataset = {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": unique("inws")},
        "spec": {
            "title": "x",
            "bucket": "ws-cardio",
            "prefix": "exports",
            "icebergNamespace": "snds",
            "steward": "sam",
        },
    }
    err = refused(kube, dataset)
    assert "spec.bucket" in err and "may not start with 'ws-'" in err


def test_unknown_approval_decision_is_refused(kube: Kube) -> None:
    obj = workspace(unique("decide"), approval={"decision": "Maybe", "by": "kubernetes-admin"})
    err = refused(kube, obj)
    assert "spec.approval.decision" in err and "Unsupported value" in err


def test_default_size_profiles_are_installed(kube: Kube) -> None:
    listed = kubectl(kube.kubeconfig, "get", "sizeprofiles", "-o", "name")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {
        "sizeprofile.havre.io/small",
        "sizeprofile.havre.io/standard",
        "sizeprofile.havre.io/large",
    }
