"""Dereference reads the grants and datasets from memory and the kept credentials from the
namespace (GETs, never a LIST), and makes new material only where none is kept."""

from __future__ import annotations

import base64

from havre.pipeline.dereference import dereference
from havre.pipeline.records import StaticCatalogue
from tests.unit.conftest import NOW
from tests.unit.fakes import api_server
from tests.unit.world import World, dataset_body, grant_body, workspace_body


def test_records_come_from_the_catalogue_and_credentials_from_the_namespace() -> None:
    with api_server() as api:
        api.put("/api/v1/namespaces/ws-cardio", {"metadata": {"name": "ws-cardio"}})
        api.put(
            "/api/v1/namespaces/ws-cardio/secrets/havre-storage",
            {
                "metadata": {"name": "havre-storage"},
                "data": {"AWS_SECRET_ACCESS_KEY": base64.b64encode(b"kept").decode()},
            },
        )
        world = World(api)
        catalogue = StaticCatalogue.from_bodies(
            [workspace_body()],
            [dataset_body("snds"), dataset_body("cohort"), dataset_body("other", "archive")],
            [grant_body("g1", "snds"), grant_body("g2", "cohort"), grant_body("x", "snds", "onco")],
        )
        refs = dereference(world.platform, workspace_body(), catalogue, NOW)
    assert [g.name for g in refs.grants] == ["g1", "g2"]
    assert set(refs.datasets) == {"snds", "cohort"}
    assert {d.name for d in refs.peers["datasets"]} == {"snds", "cohort"}
    assert refs.material.storage_secret_key == "kept"
    assert refs.material.catalog_password not in ("", "kept")
    # the (existing) namespace is opened first (the operator's binding, an access review),
    # then only GETs: no LIST of Secrets, grants or datasets
    writes = [(m, p.rsplit("/", 1)[-1]) for m, p in api.requests if m != "GET"]
    assert writes == [
        ("PATCH", "havre-operator"),
        ("POST", "selfsubjectaccessreviews"),
    ]
    assert not any(path.endswith(("/secrets", "/datasetgrants")) for _, path in api.requests)
    assert refs.workspace.uid == workspace_body()["metadata"]["uid"]


def test_an_unreadable_namespace_gives_no_material_but_still_the_records() -> None:
    with api_server() as api:
        api.put("/api/v1/namespaces/ws-cardio", {"metadata": {"name": "ws-cardio"}})
        api.fail[("GET", "/secrets/")] = 503
        world = World(api)
        catalogue = StaticCatalogue.from_bodies(
            [], [dataset_body("snds")], [grant_body("g", "snds")]
        )
        refs = dereference(world.platform, workspace_body(), catalogue, NOW)
    assert not refs.material.readable
    assert [g.name for g in refs.grants] == ["g"]


def test_a_namespace_this_run_created_is_neither_read_nor_listed() -> None:
    """Nothing of ours can be in a namespace the reconcile just created: no Secret GET, no
    LIST inside it (the cluster-wide kinds are still listed); the next run lists it all."""
    with api_server() as api:
        world = World(api)
        world.body["spec"]["approval"] = {"decision": "Approved", "by": "admin"}
        first = world.reconcile()
        assert first.refs is not None and first.refs.new_namespace
        inside = "/namespaces/ws-cardio/"
        reads = [p for m, p in api.requests if m == "GET" and inside in p]
        assert reads == [], reads
        assert any(m == "GET" and p.endswith("/clusterroles") for m, p in api.requests)
        before = len(api.requests)
        second = world.reconcile()
        assert second.refs is not None and not second.refs.new_namespace
        again = [p for m, p in api.requests[before:] if m == "GET" and inside in p]
        assert any(p.endswith("/secrets/havre-storage") for p in again)
        assert any(p.endswith("/networkpolicies") for p in again)
        assert second.changes == []
