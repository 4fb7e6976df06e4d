"""Datasets go to their provider's members; a grant goes only to its workspace's member at
the dataset's provider, once both exist there."""

from __future__ import annotations

from havre.federation.placement import MemberCluster, grant_member
from havre.federation.render.propagation import render_dataset_policy, render_grant_policy

HDS = MemberCluster("hds", {"havre.io/provider": "hds-host"}, True)


def test_dataset_goes_to_the_members_of_its_provider() -> None:
    policy = render_dataset_policy("registry", "uid-d", "hds-host")
    assert policy["spec"]["placement"]["clusterAffinity"]["labelSelector"] == {
        "matchExpressions": [{"key": "havre.io/provider", "operator": "In", "values": ["hds-host"]}]
    }
    assert policy["spec"]["resourceSelectors"][0] == {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Dataset",
        "name": "registry",
    }
    assert policy["metadata"]["ownerReferences"][0]["uid"] == "uid-d"


def test_grant_goes_to_the_one_member_of_its_workspace() -> None:
    policy = render_grant_policy("g1", "uid-g", "hds")
    assert policy["spec"]["placement"]["clusterAffinity"] == {"clusterNames": ["hds"]}


def test_grant_waits_for_workspace_and_dataset_on_the_member() -> None:
    assert grant_member("hds-host", HDS, True, True) == "hds"
    assert grant_member("hds-host", HDS, True, False) is None
    assert grant_member("hds-host", HDS, False, True) is None


def test_grant_of_data_held_elsewhere_is_not_propagated() -> None:
    assert grant_member("snc-host", HDS, True, True) is None
    assert grant_member(None, HDS, True, True) is None
    assert grant_member("hds-host", None, True, True) is None
