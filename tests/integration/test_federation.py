"""Federation on the real Karmada hub and real member control planes (devstack.federation).

Members: ``snc`` (SecNumCloud, no query engine: its workspaces become Ready) and ``hds``
(HDS, renders each workspace's Trino; without a node its Trino cannot run, so its
workspaces are checked as provisioned), each a stack of its own. Workspaces are applied on
the hub (one test writes on a member directly); everything else is observed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from devstack import process, stack
from devstack.federation import Federation
from devstack.federation_operators import (
    OPERATOR_HEALTH_PORT,
    hub_operator_environment,
    start_operator,
)
from havre.api.names import READER_ANNOTATION
from havre.federation.hub import policy_of
from havre.federation.remote_grant import SECRET_NAMESPACE
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name
from tests.integration.datasets import NAMESPACE, PREFIX, create_dataset, drop_dataset
from tests.integration.helpers import kubectl, wait_for
from tests.integration.remote_grants import SECRET, issued
from tests.integration.storage import denied, put
from tests.integration.workspaces import (
    ADMIN,
    apply,
    approve,
    condition,
    dataset,
    grant,
    unique,
    workspace,
)

WORKSPACE = by_name("Workspace")
DATASET = by_name("Dataset")
GRANT = by_name("DatasetGrant")
CONFIG_MAP = by_name("ConfigMap")
NAMESPACE_KIND = by_name("Namespace")
#: Seconds from its creation to the expiry of the short grant (enough to be issued first).
EXPIRING = 30
#: Karmada checks members every 5 s and counts a failure after 15 s; generous on a busy box.
PLACEMENT_TIMEOUT = 240.0


@dataclass(frozen=True)
class Hub:
    fed: Federation
    kubeconfig: str
    cluster: Cluster

    def member(self, name: str) -> Cluster:
        return Cluster.from_kubeconfig(self.fed.members[name].kubeconfig)


@pytest.fixture(scope="module")
def hub(federation: Federation) -> Hub:
    return Hub(
        federation, federation.hub_kubeconfig, Cluster.from_kubeconfig(federation.hub_kubeconfig)
    )


def federated(name: str, *certifications: str, **spec: Any) -> dict[str, Any]:
    # No Trino workers: the smallest workspace that still proves its placement.
    obj = workspace(
        name,
        members=[],
        placement={"certifications": list(certifications)},
        deletionPolicy="Delete",
        **spec,
    )
    obj["spec"]["size"] = {"workers": 0, "cpu": "500m", "memory": "1Gi", "storage": "1Gi"}
    return obj


def hub_ready(hub: Hub, name: str, member: str | None) -> dict[str, Any] | None:
    """The hub Workspace once it is Ready=True for its current generation on ``member``."""
    obj = hub.cluster.get(WORKSPACE, name)
    ready = condition(obj)
    if (
        obj is not None
        and ready is not None
        and ready["status"] == "True"
        and ready["observedGeneration"] == obj["metadata"]["generation"]
        and obj["status"].get("member") == member
    ):
        return obj
    return None


#: The member's own conditions that need its Trino running on a node: the local members
#: have no node, so a member that runs workspaces' Trino (hds) provisions everything else.
NEEDS_A_NODE = {"Ready", "QueryEngine"}


def hub_provisioned(hub: Hub, name: str, member: str) -> dict[str, Any] | None:
    """The hub Workspace once ``member`` reports it provisioned at its current generation:
    every condition True but those that need a node (``hub_ready`` where Trino is off)."""
    obj = hub.cluster.get(WORKSPACE, name)
    if obj is None or obj.get("status", {}).get("member") != member:
        return None
    conditions = obj["status"].get("conditions", [])
    generation = obj["metadata"]["generation"]
    types = {c["type"] for c in conditions}
    if not {"Member", "Namespace", "Storage", "Access"} <= types:
        return None
    for cond in conditions:
        if cond.get("observedGeneration") != generation:
            return None
        # Degraded says a problem when True; every other condition says one when False.
        healthy = "False" if cond["type"] == "Degraded" else "True"
        if cond["type"] not in NEEDS_A_NODE and cond["status"] != healthy:
            return None
    return obj


def ready_reason(hub: Hub, name: str, reason: str) -> dict[str, Any] | None:
    obj = hub.cluster.get(WORKSPACE, name)
    ready = condition(obj)
    return obj if ready is not None and ready["reason"] == reason else None


@dataclass(frozen=True)
class Placed:
    snc: str
    hds: str
    delays: dict[str, float]


@pytest.fixture(scope="module")
def placed(hub: Hub) -> Iterator[Placed]:
    """One workspace requiring SecNumCloud and one requiring HDS, applied together."""
    snc, hds = unique("fed-snc"), unique("fed-hds")
    start = time.monotonic()
    apply(hub.kubeconfig, federated(snc, "secnumcloud"))
    apply(hub.kubeconfig, federated(hds, "hds"))
    delays = {}
    wait_for(f"{snc} Ready on the hub", lambda: hub_ready(hub, snc, "snc"), PLACEMENT_TIMEOUT)
    delays[snc] = time.monotonic() - start
    wait_for(
        f"{hds} provisioned on hds", lambda: hub_provisioned(hub, hds, "hds"), PLACEMENT_TIMEOUT
    )
    delays[hds] = time.monotonic() - start
    print(
        f"\nhub Ready=True after {delays[snc]:.1f}s (snc); provisioned on hds, as the hub "
        f"shows, after {delays[hds]:.1f}s"
    )
    yield Placed(snc, hds, delays)
    for name in (snc, hds):
        kubectl(hub.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_secnumcloud_workspace_runs_only_on_the_secnumcloud_member(
    hub: Hub, placed: Placed
) -> None:
    on_snc = hub.member("snc").get(WORKSPACE, placed.snc)
    assert on_snc is not None
    assert (condition(on_snc) or {}).get("status") == "True", on_snc.get("status")
    assert hub.member("hds").get(WORKSPACE, placed.snc) is None
    listed = kubectl(hub.kubeconfig, "get", "workspace", placed.snc)
    assert "MEMBER" in listed.stdout and "snc" in listed.stdout.splitlines()[1]


def test_hds_workspace_runs_on_the_hds_member(hub: Hub, placed: Placed) -> None:
    on_hds = hub.member("hds").get(WORKSPACE, placed.hds)
    assert on_hds is not None and (condition(on_hds, "Storage") or {}).get("status") == "True"
    # The hub's Ready is the member's own, whatever it is (no node: Trino cannot run).

    def same_ready() -> bool:
        member_ready = condition(hub.member("hds").get(WORKSPACE, placed.hds)) or {}
        hub_ready_ = condition(hub.cluster.get(WORKSPACE, placed.hds)) or {}
        keys = ("status", "reason")
        return all(member_ready.get(k) == hub_ready_.get(k) for k in keys)

    wait_for("the member's Ready on the hub", same_ready, 60)
    assert hub.member("snc").get(WORKSPACE, placed.hds) is None
    status = hub.cluster.get(WORKSPACE, placed.hds)["status"]  # type: ignore[index]
    # What the member reported comes back with the member's name.
    assert status["namespace"] == f"ws-{placed.hds}"
    assert status["endpoints"]["bucket"] == f"ws-{placed.hds}"
    assert {c["type"] for c in status["conditions"]} >= {"Ready", "Storage", "Member"}


def test_unsatisfiable_placement_is_not_ready_with_a_reason(hub: Hub) -> None:
    name = unique("fed-none")
    apply(hub.kubeconfig, federated(name, "hds", "secnumcloud"))
    try:
        obj = wait_for(f"{name} NoMemberFits", lambda: ready_reason(hub, name, "NoMemberFits"), 120)
        ready = condition(obj) or {}
        assert ready["status"] == "False" and "secnumcloud" in ready["message"]
        assert obj["status"].get("member") is None
        for member in ("snc", "hds"):
            assert hub.member(member).get(WORKSPACE, name) is None
        assert policy_of(hub.cluster, name) is not None
    finally:
        kubectl(hub.kubeconfig, "delete", "workspace", name, "--wait=false")
    # The workspace's policy goes with it (the hub's garbage collector).
    wait_for(f"policy of {name} deleted", lambda: policy_of(hub.cluster, name) is None, 60)


def test_request_on_the_hub_is_placed_only_once_approved_on_the_hub(hub: Hub) -> None:
    name = unique("fed-req")
    request = federated(name, "secnumcloud")
    del request["spec"]["approval"]
    apply(hub.kubeconfig, request)
    try:
        obj = wait_for(
            f"{name} AwaitingApproval on the hub",
            lambda: ready_reason(hub, name, "AwaitingApproval"),
            PLACEMENT_TIMEOUT,
        )
        assert obj["status"].get("member") is None
        assert policy_of(hub.cluster, name) is None
        for member in ("snc", "hds"):
            assert hub.member(member).get(WORKSPACE, name) is None
        # The approval given at the hub (checked by the hub's admission) is relayed by the
        # hub's account on the member, which did not decide it.
        approve(hub.kubeconfig, name)
        wait_for(f"{name} Ready on the hub", lambda: hub_ready(hub, name, "snc"), PLACEMENT_TIMEOUT)
        on_snc = hub.member("snc").get(WORKSPACE, name)
        assert on_snc is not None and on_snc["spec"]["approval"]["by"] == ADMIN
        assert hub.member("snc").get(NAMESPACE_KIND, f"ws-{name}") is not None
    finally:
        kubectl(hub.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_members_change_on_the_hub_reaches_the_member_and_its_trino_access_rules(
    hub: Hub, placed: Placed
) -> None:
    name = placed.hds
    patch = '{"spec":{"members":[{"user":"bob","role":"analyst"}]}}'
    result = kubectl(hub.kubeconfig, "patch", "workspace", name, "--type=merge", "-p", patch)
    assert result.returncode == 0, result.stderr
    start = time.monotonic()

    def rules_name_bob() -> bool:
        access = hub.member("hds").get(CONFIG_MAP, "trino-access", f"ws-{name}")
        return access is not None and "bob" in access["data"]["group.txt"]

    wait_for("bob in the member's Trino group file", rules_name_bob, PLACEMENT_TIMEOUT)
    wait_for(
        f"{name} provisioned at its new generation",
        lambda: hub_provisioned(hub, name, "hds"),
        PLACEMENT_TIMEOUT,
    )
    print(f"\nmembers change on the member and back on the hub in {time.monotonic() - start:.1f}s")
    members = hub.member("hds").get(WORKSPACE, name)["spec"]["members"]  # type: ignore[index]
    assert members == [{"user": "bob", "role": "analyst"}]


def test_grant_moving_resident_data_off_its_provider_is_refused_at_admission(
    hub: Hub, placed: Placed
) -> None:
    name = unique("fed-res")
    resident = dataset(name, "hds-datasets", name)
    resident["spec"]["residency"] = "hds-host"
    apply(hub.kubeconfig, resident)
    try:
        refused = kubectl(
            hub.kubeconfig, "apply", "-f", "-", stdin=_yaml(grant(name, placed.snc, name))
        )
        assert refused.returncode != 0
        assert "DataResidency" in refused.stderr and "hds-host" in refused.stderr
        allowed = kubectl(
            hub.kubeconfig, "apply", "-f", "-", stdin=_yaml(grant(f"{name}-ok", placed.hds, name))
        )
        assert allowed.returncode == 0, allowed.stderr
        # Revocation is never blocked by admission.
        gone = kubectl(hub.kubeconfig, "delete", "datasetgrant", f"{name}-ok")
        assert gone.returncode == 0, gone.stderr
    finally:
        kubectl(hub.kubeconfig, "delete", "dataset", name, "--wait=false")


def test_without_the_hub_operator_grants_fail_closed_and_revocation_still_passes(
    hub: Hub, placed: Placed
) -> None:
    name = unique("fed-closed")
    resident = dataset(name, "hds-datasets", name)
    resident["spec"]["residency"] = "hds-host"
    apply(hub.kubeconfig, resident)
    apply(hub.kubeconfig, grant(name, placed.hds, name))
    paths = hub.fed.hub_stack()
    process.stop_component("havre-hub", paths.state)
    try:
        refused = kubectl(
            hub.kubeconfig, "apply", "-f", "-", stdin=_yaml(grant(f"{name}-2", placed.hds, name))
        )
        assert refused.returncode != 0  # no one to check residency: refused, not let through
        assert "havre-hub.havre.io" in refused.stderr
        gone = kubectl(hub.kubeconfig, "delete", "datasetgrant", name)
        assert gone.returncode == 0, gone.stderr
    finally:
        start_operator(
            "havre-hub",
            paths,
            hub.kubeconfig,
            hub_operator_environment(paths),
            OPERATOR_HEALTH_PORT,
        )
        kubectl(hub.kubeconfig, "delete", "datasetgrant", name, "--ignore-not-found")
        kubectl(hub.kubeconfig, "delete", "dataset", name, "--wait=false")


def test_grant_on_the_hub_opens_a_dataset_held_at_the_workspaces_provider(
    hub: Hub, placed: Placed
) -> None:
    stores = hub.fed.member_components["hds"]
    published = create_dataset(stores["minio"], stores["postgres"], rows=20, seed=3, prepared=True)
    name = published.name
    on_hub = dataset(name, published.target.bucket, PREFIX, NAMESPACE)
    on_hub["spec"].update({"provider": "hds-host", "residency": "hds-host"})
    apply(hub.kubeconfig, on_hub)
    apply(hub.kubeconfig, grant(name, placed.hds, name))
    start = time.monotonic()
    try:

        def granted() -> bool:
            obj = hub.cluster.get(WORKSPACE, placed.hds) or {}
            return name in [g["dataset"] for g in obj.get("status", {}).get("grants", [])]

        wait_for(f"grant of {name} reported by the member", granted, PLACEMENT_TIMEOUT)
        active = time.monotonic() - start
        wait_for(
            "the hub grant Ready",
            lambda: (condition(hub.cluster.get(GRANT, name)) or {}).get("status") == "True",
            60,
        )
        print(f"\ngrant on the hub active on the member and reported back in {active:.1f}s")
        assert hub.member("hds").get(DATASET, name) is not None
        assert hub.member("snc").get(DATASET, name) is None  # data stays at its provider
        revoked = time.monotonic()
        kubectl(hub.kubeconfig, "delete", "datasetgrant", name)
        wait_for("revocation reported by the member", lambda: not granted(), PLACEMENT_TIMEOUT)
        print(f"revoked on the member and reported back in {time.monotonic() - revoked:.1f}s")
        # Access ends as the member's grant starts deleting; the object goes soon after.
        wait_for(
            "the member's grant deleted",
            lambda: hub.member("hds").get(GRANT, name) is None,
            PLACEMENT_TIMEOUT,
        )
    finally:
        kubectl(hub.kubeconfig, "delete", "datasetgrant", name, "--ignore-not-found")
        kubectl(hub.kubeconfig, "delete", "dataset", name, "--wait=false")
        drop_dataset(stores["minio"], stores["postgres"], published)


def test_grant_of_data_held_at_another_provider_gets_credentials_scoped_to_it_at_the_holder(
    hub: Hub, placed: Placed, tmp_path: Path
) -> None:
    """A dataset held at snc granted to a workspace on hds: the grant goes to snc only,
    whose operator issues credentials that read exactly that dataset (S3 and catalog, over
    verified TLS); deleting the grant on the hub cuts them at snc, open sessions included.
    The workspace's Trino does not use them yet: the hub grant stays RemoteDataset."""
    stores = hub.fed.member_components["snc"]
    published = create_dataset(stores["minio"], stores["postgres"], rows=20, seed=5, prepared=True)
    name = published.name
    on_hub = dataset(name, published.target.bucket, PREFIX, NAMESPACE)
    on_hub["spec"]["provider"] = "snc-host"  # residency: anywhere (the default)
    apply(hub.kubeconfig, on_hub)
    apply(hub.kubeconfig, grant(name, placed.hds, name))
    # A second grant of it that expires soon, on its own: the holder cuts it at expiry.
    expiring, ends = f"{name}-x", dt.datetime.now(dt.UTC) + dt.timedelta(seconds=EXPIRING)
    apply(hub.kubeconfig, grant(expiring, placed.hds, name, ends.strftime("%Y-%m-%dT%H:%M:%SZ")))
    start = time.monotonic()
    snc = hub.member("snc")
    try:
        creds = wait_for(
            "credentials issued at the holder",
            lambda: issued(snc, name, tmp_path),
            PLACEMENT_TIMEOUT,
        )
        short = wait_for("expiring grant's credentials", lambda: issued(snc, expiring, tmp_path))
        print(f"\ncredentials issued at the holder {time.monotonic() - start:.1f}s after the grant")
        hds = hub.member("hds")
        carried = wait_for(
            "the credentials carried to the reader's member",
            lambda: hds.get(SECRET, creds.secret_name, SECRET_NAMESPACE),
            60,
        )
        print(f"carried to the reader's member {time.monotonic() - start:.1f}s after the grant")
        assert carried["data"]["s3-secret-key"] == creds.encoded("s3-secret-key")
        wait_for(
            "the hub grant saying the credentials are issued and carried",
            lambda: (
                "issued on member snc and carried to member hds"
                in ((condition(hub.cluster.get(GRANT, name)) or {}).get("message") or "")
            ),
            60,
        )
        assert grant_reason(hub, name) == "RemoteDataset"
        assert hds.get(GRANT, name) is None  # the reader's Trino does not use them yet
        key = creds.first_object()
        assert not creds.object_refused(key)
        assert not short.object_refused(key) and short.values != creds.values
        assert creds.catalog_rows() >= 1
        # Exactly the dataset: nothing else in its bucket, no write, no catalog write.
        assert denied(lambda: list(creds.s3().list_objects(published.target.bucket, prefix="")))
        assert denied(lambda: put(creds.s3(), published.target.bucket, f"{PREFIX}/x", b"x"))
        with creds.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM iceberg_tables")
        session = creds.connect()  # open before the revocation: it must end too
        revoked = time.monotonic()
        kubectl(hub.kubeconfig, "delete", "datasetgrant", name)
        wait_for("objects refused", lambda: creds.object_refused(key), PLACEMENT_TIMEOUT)
        objects_after = time.monotonic() - revoked
        wait_for("catalog login refused", creds.login_refused, PLACEMENT_TIMEOUT)
        print(
            f"revoked at the holder: objects refused {objects_after:.1f}s, catalog refused "
            f"{time.monotonic() - revoked:.1f}s after the grant's deletion on the hub"
        )
        with pytest.raises(psycopg.OperationalError):
            session.execute("SELECT count(*) FROM iceberg_tables")
        wait_for("the Secret deleted", lambda: issued(snc, name, tmp_path) is None, 60)
        wait_for(
            "the carried copy deleted",
            lambda: hds.get(SECRET, creds.secret_name, SECRET_NAMESPACE) is None,
            60,
        )
        print(f"carried copy deleted {time.monotonic() - revoked:.1f}s after the grant's deletion")
        wait_for("the expired grant's objects refused", lambda: short.object_refused(key), 120)
        wait_for("the expired grant's catalog refused", short.login_refused, 60)
        late = (dt.datetime.now(dt.UTC) - ends).total_seconds()
        print(f"expired grant cut at the holder {late:.1f}s after its spec.expires")
    finally:
        kubectl(hub.kubeconfig, "delete", "datasetgrant", expiring, "--ignore-not-found")
        kubectl(hub.kubeconfig, "delete", "datasetgrant", name, "--ignore-not-found")
        kubectl(hub.kubeconfig, "delete", "dataset", name, "--wait=false")
        drop_dataset(stores["minio"], stores["postgres"], published)


def test_a_change_of_the_reader_mark_issues_and_withdraws_at_the_holder_at_once(
    hub: Hub, tmp_path: Path
) -> None:
    """Written on the holder directly (as Karmada would deliver a late mark): marking a
    grant as read from another provider issues its credentials; marking it back as read
    here withdraws them."""
    name, member = unique("fed-mark"), hub.fed.members["snc"].kubeconfig
    held = dataset(name, "snc-marks", name)
    held["spec"]["provider"] = "snc-host"
    apply(member, held)
    apply(member, grant(name, "elsewhere", name))
    snc = hub.member("snc")
    try:
        wait_for("the unmarked grant's status", lambda: grant_reason_on(snc, name), 60)
        assert issued(snc, name, tmp_path) is None
        mark = ["annotate", "--overwrite", "datasetgrant", name]
        kubectl(member, *mark, f"{READER_ANNOTATION}=hds-host")
        wait_for("credentials issued on the mark", lambda: issued(snc, name, tmp_path), 60)
        kubectl(member, *mark, f"{READER_ANNOTATION}=snc-host")
        wait_for("withdrawn on the mark", lambda: issued(snc, name, tmp_path) is None, 60)
    finally:
        kubectl(member, "delete", "datasetgrant", name, "--ignore-not-found")
        kubectl(member, "delete", "dataset", name, "--wait=false")


def grant_reason_on(member: Cluster, name: str) -> str | None:
    ready = condition(member.get(GRANT, name))
    return None if ready is None else str(ready["reason"])


def grant_reason(hub: Hub, name: str) -> str | None:
    ready = condition(hub.cluster.get(GRANT, name))
    return None if ready is None else str(ready["reason"])


def test_member_itself_never_opens_data_resident_at_another_provider(
    hub: Hub, placed: Placed
) -> None:
    """Objects written on the member directly, past the hub's admission: the member's own
    reconcile refuses them."""
    name = unique("fed-direct")
    member = hub.fed.members["hds"].kubeconfig
    resident = dataset(name, "snc-datasets", name)
    resident["spec"]["residency"] = "snc-host"
    apply(member, resident)
    apply(member, grant(name, placed.hds, name))
    on_hds = hub.member("hds")
    try:
        wait_for(
            "DataResidency on the member's grant",
            lambda: (condition(on_hds.get(GRANT, name)) or {}).get("reason") == "DataResidency",
            60,
        )
        ds = condition(on_hds.get(DATASET, name)) or {}
        assert ds.get("status") == "False" and ds.get("reason") == "DataResidency"
        obj = on_hds.get(WORKSPACE, placed.hds) or {}
        assert name not in [g["dataset"] for g in obj.get("status", {}).get("grants", [])]
    finally:
        kubectl(member, "delete", "datasetgrant", name, "--ignore-not-found")
        kubectl(member, "delete", "dataset", name, "--wait=false")


def test_lost_member_is_member_unreachable_on_the_hub_and_converges_when_back(
    hub: Hub, placed: Placed
) -> None:
    snc_paths = hub.fed.member_paths("snc")
    uid = hub.member("snc").get(WORKSPACE, placed.snc)["metadata"]["uid"]  # type: ignore[index]
    stopped = time.monotonic()
    stack.down(snc_paths, ["kube"])
    try:
        wait_for(
            "MemberUnreachable on the hub",
            lambda: ready_reason(hub, placed.snc, "MemberUnreachable"),
            PLACEMENT_TIMEOUT,
        )
        lost_after = time.monotonic() - stopped
        obj = hub.cluster.get(WORKSPACE, placed.snc)
        assert obj is not None and obj["status"]["member"] == "snc"
        # The other member's workspace is untouched.
        wait_for(
            "the other member's workspace as it was",
            lambda: hub_provisioned(hub, placed.hds, "hds"),
        )
    finally:
        restarted = time.monotonic()
        stack.up(snc_paths, ["kube"])
    wait_for("Ready again on the hub", lambda: hub_ready(hub, placed.snc, "snc"), PLACEMENT_TIMEOUT)
    back_after = time.monotonic() - restarted
    print(
        f"\nMemberUnreachable after {lost_after:.1f}s; Ready again {back_after:.1f}s after restart"
    )
    on_snc = hub.member("snc").get(WORKSPACE, placed.snc)
    assert on_snc is not None and on_snc["metadata"]["uid"] == uid  # never deleted nor recreated
    assert hub.member("hds").get(WORKSPACE, placed.snc) is None  # never moved


def _yaml(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj)
