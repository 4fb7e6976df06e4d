"""Render turns a validated workspace into plans for every system, purely: the access
objects are marked for the first phase, an unreadable spec renders access withdrawn."""

from __future__ import annotations

import dataclasses
import datetime as dt

from havre.api import names
from havre.pipeline.conditions import Check
from havre.pipeline.material import Material, prepare_material
from havre.pipeline.render.desired import render_desired
from havre.pipeline.validate import InvalidWorkspace, ValidGrant, ValidWorkspace
from tests.unit.world import SETTINGS, UID

GRANT = ValidGrant(
    "g", "snds", "MR-004", dt.datetime(2030, 1, 1, tzinfo=dt.UTC), "datasets", "snds"
)


def test_plans_follow_the_validated_workspace(cardio: ValidWorkspace) -> None:
    ws = dataclasses.replace(cardio, uid=UID, grants=(GRANT,))
    desired = render_desired(ws, prepare_material({}), SETTINGS)
    assert desired.cluster is not None and desired.cluster.owner.uid == UID
    kinds = {k for k, _, _ in desired.cluster.access}
    assert kinds == {"RoleBinding", "ClusterRoleBinding"}
    assert desired.objectstore is not None and desired.objectstore.owner == UID
    assert desired.objectstore.policy["ID"] == f"havre.io/workspace-uid={UID}"
    assert desired.catalogdb is not None and desired.catalogdb.datasets == {"snds"}
    assert desired.endpoints["bucket"] == names.bucket("cardio")


def test_an_unreadable_spec_renders_access_withdrawn_and_nothing_created() -> None:
    invalid = InvalidWorkspace("cardio", UID, Check("Valid", False, "InvalidSpec", "x"))
    desired = render_desired(invalid, prepare_material({}), SETTINGS)
    assert desired.cluster is not None
    # only the namespace and the operator's own binding (how it acts there) are kept
    kept = [(m["kind"], m["metadata"]["name"]) for m in desired.cluster.manifests]
    assert kept == [("Namespace", "ws-cardio"), ("RoleBinding", "havre-operator")]
    assert desired.cluster.prunable == frozenset({"RoleBinding", "ClusterRoleBinding"})
    assert desired.objectstore is not None and not desired.objectstore.provision
    assert not desired.objectstore.enabled
    assert desired.catalogdb is not None and desired.catalogdb.datasets == frozenset()
    assert not desired.catalogdb.enabled and not desired.catalogdb.provision


def test_without_readable_material_no_secret_is_rendered_or_pruned(cardio: ValidWorkspace) -> None:
    material = Material.unavailable("KubernetesUnavailable", "down")
    desired = render_desired(cardio, material, SETTINGS)
    assert desired.cluster is not None
    assert not [m for m in desired.cluster.manifests if m["kind"] == "Secret"]
    assert desired.cluster.prunable == frozenset({"RoleBinding", "ClusterRoleBinding"})
    assert desired.objectstore is not None and not desired.objectstore.provision
    assert desired.retry and desired.checks[0].type == "Credentials"
