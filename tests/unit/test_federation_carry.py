"""The hub's part in a grant read across providers (pure parts): which member holds the
data, what the hub grant says, the reader's copy of the credentials and which copies go."""

from __future__ import annotations

import datetime as dt

from havre.api.names import READER_ANNOTATION
from havre.federation.carry import HUB_GRANT_UID, live_remote_grants, render_copy, stale
from havre.federation.placement import PROVIDER_LABEL, MemberCluster, holder_member
from havre.federation.status import MemberState, remote_grant_state

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def _member(name: str, provider: str) -> MemberCluster:
    return MemberCluster(name, {PROVIDER_LABEL: provider}, ready=True)


def test_the_holder_is_a_member_of_the_datas_provider_where_the_dataset_exists() -> None:
    members = [_member("snc", "snc-host"), _member("hds", "hds-host"), _member("b", "snc-host")]
    assert holder_member("snc-host", members, ["snc"]) == "snc"
    assert holder_member("snc-host", members, ["b", "snc"]) == "b"  # first by name
    assert holder_member("snc-host", members, ["hds"]) is None  # not at that provider
    assert holder_member("snc-host", members, []) is None  # the dataset is not there yet


def test_the_hub_grant_stays_remote_dataset_and_says_how_far_the_credentials_got() -> None:
    waiting = remote_grant_state("ds", "snc-host", None, None, "hds")
    assert not waiting.ok and waiting.reason == "RemoteDataset"
    assert "no member of snc-host holds the dataset yet" in waiting.message
    pending = remote_grant_state("ds", "snc-host", "snc", MemberState(False, "X", "busy"), "hds")
    assert "credentials pending: busy" in pending.message
    issued = remote_grant_state("ds", "snc-host", "snc", MemberState(True, "Ready", ""), "hds")
    assert (issued.ok, issued.reason) == (False, "RemoteDataset")
    assert "issued on member snc," in issued.message
    carried = remote_grant_state(
        "ds", "snc-host", "snc", MemberState(True, "Ready", ""), "hds", carried=True
    )
    assert "issued on member snc and carried to member hds" in carried.message


def test_the_readers_copy_keeps_name_and_data_and_is_labelled_with_the_hub_grant() -> None:
    source = {
        "metadata": {
            "name": "havre-grant-x",
            "namespace": "havre-federation",
            "uid": "holder-secret-uid",
            "resourceVersion": "7",
            "annotations": {"havre.io/grant": "g"},
        },
        "data": {"s3-secret-key": "c2VjcmV0"},
    }
    copy = render_copy(source, "hub-uid")
    assert copy["metadata"]["name"] == "havre-grant-x"
    assert copy["metadata"]["labels"][HUB_GRANT_UID] == "hub-uid"
    assert copy["data"] == source["data"]
    assert "uid" not in copy["metadata"] and "resourceVersion" not in copy["metadata"]


def _grant(
    uid: str, expires: str, marked: bool = True, deleting: bool = False
) -> dict[str, object]:
    meta: dict[str, object] = {"uid": uid}
    if marked:
        meta["annotations"] = {READER_ANNOTATION: "hds-host"}
    if deleting:
        meta["deletionTimestamp"] = "2026-11-29T00:00:00Z"
    return {"metadata": meta, "spec": {"expires": expires}}


def test_only_marked_grants_not_being_deleted_keep_copies_alive() -> None:
    live = live_remote_grants(
        [
            _grant("a", "2030-01-01T00:00:00Z"),
            _grant("local", "2030-01-01T00:00:00Z", marked=False),
            _grant("gone", "2030-01-01T00:00:00Z", deleting=True),
            _grant("bad", "soon"),
        ]
    )
    assert set(live) == {"a"}


def test_copies_of_deleted_or_expired_grants_are_stale() -> None:
    live = {
        "a": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        "old": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    copies = [
        {"metadata": {"name": n, "labels": {HUB_GRANT_UID: uid}}}
        for n, uid in (("keep", "a"), ("expired", "old"), ("orphan", "deleted"))
    ]
    assert stale(copies, live, NOW) == ["expired", "orphan"]
