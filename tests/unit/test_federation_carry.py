"""The hub's part in a grant read across providers (pure parts): which member holds the
data, what the hub grant says, the reader's copy of the credentials and which copies go."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest

from havre.api.names import READER_ANNOTATION
from havre.federation.carry import (
    HUB_GRANT_UID,
    TEMPLATE_UID,
    carry,
    live_remote_grants,
    render_copy,
    stale,
    sweep,
)
from havre.federation.hub_remote import mark
from havre.federation.placement import PROVIDER_LABEL, MemberCluster, holder_member
from havre.federation.remote_grant import SECRET_NAMESPACE, GrantCredentials
from havre.federation.status import MemberState, remote_grant_state
from tests.unit.fakes import FakeApiServer, api_server

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


# The hub, the holder and the reader, each a fake API server; the hub reaches the members
# through their Cluster objects and token Secrets, as in push mode.
HUB_UID = "33333333-0000-0000-0000-000000000003"
HOLDER_UID = "22222222-3333-4444-5555-666666666666"
COPY = GrantCredentials(HOLDER_UID).secret
CLUSTERS = "/apis/cluster.karmada.io/v1alpha1/clusters"
GRANTS = "/apis/havre.io/v1alpha1/datasetgrants"


def _secret_path(name: str) -> str:
    return f"/api/v1/namespaces/{SECRET_NAMESPACE}/secrets/{name}"


def _join(hub: FakeApiServer, name: str, member: FakeApiServer) -> None:
    hub.put(
        f"{CLUSTERS}/{name}",
        {
            "metadata": {"name": name},
            "spec": {
                "apiEndpoint": member.url,
                "secretRef": {"namespace": "karmada-cluster", "name": name},
            },
        },
    )
    b64 = base64.b64encode
    hub.put(
        f"/api/v1/namespaces/karmada-cluster/secrets/{name}",
        {"metadata": {"name": name}, "data": {"token": b64(b"t").decode(), "caBundle": "eA=="}},
    )


@pytest.fixture
def federation() -> Iterator[tuple[FakeApiServer, FakeApiServer, FakeApiServer]]:
    with api_server() as hub, api_server() as holder, api_server() as reader:
        _join(hub, "snc", holder)
        _join(hub, "hds", reader)
        yield hub, holder, reader


def _hub_grant(uid: str = HUB_UID) -> dict[str, object]:
    return {"metadata": {"name": "g", "uid": uid}, "spec": {}}


def test_the_hub_copies_the_holders_secret_of_this_very_grant_to_the_reader(
    federation: tuple[FakeApiServer, FakeApiServer, FakeApiServer],
) -> None:
    hub, holder, reader = federation
    holder.put(
        f"{GRANTS}/g",
        {"metadata": {"name": "g", "uid": HOLDER_UID, "annotations": {TEMPLATE_UID: HUB_UID}}},
    )
    assert not carry(hub.cluster(), _hub_grant(), "snc", "hds")  # nothing issued yet
    holder.put(_secret_path(COPY), {"metadata": {"name": COPY}, "data": {"k": "dg=="}})
    assert carry(hub.cluster(), _hub_grant(), "snc", "hds")
    copied = reader.objects[_secret_path(COPY)]
    assert copied["data"] == {"k": "dg=="}
    assert copied["metadata"]["labels"][HUB_GRANT_UID] == HUB_UID
    # A holder grant made from another hub object of that name is never copied.
    del reader.objects[_secret_path(COPY)]
    other = _hub_grant("44444444-0000-0000-0000-000000000004")
    assert not carry(hub.cluster(), other, "snc", "hds")
    assert _secret_path(COPY) not in reader.objects


def test_the_sweep_deletes_copies_no_live_grant_needs_and_skips_a_silent_member(
    federation: tuple[FakeApiServer, FakeApiServer, FakeApiServer],
) -> None:
    hub, holder, reader = federation
    for name, uid in (("kept", "live"), ("dead", "gone")):
        reader.put(_secret_path(name), {"metadata": {"name": name, "labels": {HUB_GRANT_UID: uid}}})
    holder.fail[("GET", "/secrets")] = 503
    live = {"live": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}
    assert sweep(hub.cluster(), live, NOW) == ["hds/dead"]
    assert _secret_path("kept") in reader.objects


def test_the_hub_marks_a_grant_once_and_removes_a_stray_mark() -> None:
    with api_server() as hub:
        marked = {"metadata": {"name": "g", "annotations": {READER_ANNOTATION: "hds-host"}}}
        mark(hub.cluster(), marked, "hds-host")
        mark(hub.cluster(), {"metadata": {"name": "g"}}, None)
        assert hub.requests == []
        mark(hub.cluster(), {"metadata": {"name": "g"}}, "hds-host")
        mark(hub.cluster(), marked, None)
        patches = [o for m, o in hub.requests if m == "PATCH"]
        assert patches == [f"{GRANTS}/g", f"{GRANTS}/g"]
