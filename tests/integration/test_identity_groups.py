"""The groups behind the sign-in: equal to the members whatever happens — an unknown user,
a second reconcile, a deletion, a group of an earlier life under the same name, and a
Keycloak outage, during which removals still take effect and after which all heals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import time
from collections.abc import Iterator

import pytest

from havre.external.identity import IdentityProviderUnavailable
from havre.external.minio import MinioStore
from havre.kube.kinds import by_name
from havre.pipeline.apply_identity import provision_identity, revoke_identity
from havre.pipeline.identity_sync import IdentitySync
from havre.pipeline.render.identity import render_identity_plan
from havre.pipeline.validate import validate_workspace
from tests.integration.helpers import kubectl, wait_for
from tests.integration.identity import (
    REACT,
    ROOT,
    CountingIdentity,
    IdentityStack,
    bucket_reaches,
    group_tree,
    identity_is,
    keycloak_frozen,
    kubectl_reaches,
    kubectl_with_token,
    member_s3,
    operator_identity,
    set_members,
    token,
)
from tests.integration.storage import denied, put, read, root_client
from tests.integration.workspaces import (
    ADMIN,
    WORKSPACE,
    apply,
    approve,
    condition,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration
ROLES = ("analyst", "owner", "viewer")
CONFIG_MAP = by_name("ConfigMap")


@pytest.fixture(scope="module")
def ident(identity_stack: IdentityStack) -> IdentityStack:
    return identity_stack


@pytest.fixture(scope="module")
def team(ident: IdentityStack) -> Iterator[str]:
    """A workspace of owner alice and viewer carol, with a file in its bucket."""
    name = unique("idg")
    apply(
        ident.kubeconfig,
        workspace(name, owner="alice", members=[{"user": "carol", "role": "viewer"}]),
    )
    wait_provisioned(ident.cluster, name, timeout=REACT)
    wait_for(f"{name}'s groups", identity_is(ident, name, "Synchronized"), timeout=REACT)
    put(root_client(ident.minio), f"ws-{name}", "results/cohort.csv", b"id\n1\n")
    yield name
    kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=false")


def test_unknown_member_is_named_and_the_others_keep_their_access(
    ident: IdentityStack, team: str
) -> None:
    a, ghost = team, f"ghost-{secrets.token_hex(3)}"
    viewer = [{"user": "carol", "role": "viewer"}]
    set_members(ident, a, [*viewer, {"user": ghost, "role": "analyst"}])
    cond = wait_for("Identity UnknownMember", identity_is(ident, a, "UnknownMember"), timeout=REACT)
    assert cond["status"] == "False" and ghost in cond["message"]
    obj = ident.cluster.get(WORKSPACE, a)
    ready = condition(obj)
    assert ready is not None and ready["reason"] == "UnknownMember", ready  # visibly
    for part in ("Namespace", "Storage", "Catalog"):  # ...and only itself
        held = condition(obj, part)
        assert held is not None and held["status"] == "True", held
    assert kubectl_reaches(ident, "alice", f"ws-{a}")
    assert bucket_reaches(ident, "carol", f"ws-{a}")
    tree = group_tree(operator_identity(ident.keycloak), f"/{ROOT}/{a}")
    assert tree[f"/{ROOT}/{a}/viewer"] == ("carol",)
    assert tree[f"/{ROOT}/{a}/analyst"] == ()
    set_members(ident, a, viewer)
    wait_for("Identity in sync again", identity_is(ident, a, "Synchronized"), timeout=REACT)


def test_reconciling_again_changes_nothing_in_keycloak(ident: IdentityStack, team: str) -> None:
    a = team
    plain = operator_identity(ident.keycloak)
    before = group_tree(plain, f"/{ROOT}/{a}")
    assert sorted(before) == [
        f"/{ROOT}/{a}",
        *(f"/{ROOT}/{a}/{r}" for r in ("analyst", "owner", "viewer")),
    ]
    obj = ident.cluster.get(WORKSPACE, a)
    assert obj is not None
    valid = validate_workspace(a, obj["spec"], dt.datetime.now(dt.UTC))
    plan = render_identity_plan(dataclasses.replace(valid, uid=obj["metadata"]["uid"]), ROOT)
    counting = CountingIdentity(plain)
    for _ in range(2):
        changes: list[str] = []
        provision_identity(counting, plan, revoke_identity(counting, plan, changes), changes)
        assert changes == []
    assert counting.writes == 0, counting.calls
    after = group_tree(plain, f"/{ROOT}/{a}")
    assert after == before
    # The operator's memo: the same plan again costs Keycloak nothing until the resync.
    sync = IdentitySync(CountingIdentity(plain), resync_seconds=60)
    for _ in range(2):
        changes = []
        sync.provision(plan, sync.revoke(plan, changes), changes)
        assert changes == []
    assert isinstance(sync.provider, CountingIdentity)
    assert sum(sync.provider.calls.values()) == sum(counting.calls.values()) // 2
    memberships = sum(len(m) for m in after.values())
    print(
        f"\nKeycloak under /{ROOT}/{a}: {len(after)} groups, {memberships} memberships, unchanged; "
        f"{sum(counting.calls.values()) // 2} reads and 0 writes per reconcile"
    )


def test_deleted_workspace_takes_its_groups_and_member_policies_along(ident: IdentityStack) -> None:
    name = unique("idc")
    apply(ident.kubeconfig, workspace(name, owner="alice", members=[]))
    wait_for(f"{name}'s groups", identity_is(ident, name, "Synchronized"), timeout=REACT)
    plain = operator_identity(ident.keycloak)
    assert group_tree(plain, f"/{ROOT}/{name}")[f"/{ROOT}/{name}/owner"] == ("alice",)
    store = MinioStore(
        ident.minio["endpoint"],
        ident.minio["access_key"],
        ident.minio["secret_key"],
        secure=True,
        ca_file=ident.minio["ca"],
    )
    assert store.policy_document(f"havre-ws-{name}--owner") is not None
    kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=false")

    def gone() -> bool:
        try:
            groups = group_tree(plain, f"/{ROOT}/{name}")
        except IdentityProviderUnavailable:
            return False  # Keycloak answers 500 while it deletes the very group we read
        return groups == {} and store.policy_document(f"havre-ws-{name}--owner") is None

    wait_for("the groups and policies to go", gone, timeout=REACT)


def test_group_of_another_workspace_uid_is_never_adopted(ident: IdentityStack) -> None:
    name = unique("idx")
    plain = operator_identity(ident.keycloak)
    parent = plain.group(f"/{ROOT}") or plain.create_group(None, ROOT, {})
    stale = plain.create_group(parent, name, {"havre.io/workspace-uid": ("an-earlier-life",)})
    try:
        apply(ident.kubeconfig, workspace(name, owner="alice", members=[]))
        cond = wait_for(
            "IdentityGroupConflict",
            identity_is(ident, name, "IdentityGroupConflict"),
            timeout=REACT,
        )
        assert "an-earlier-life" in cond["message"]
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=true", "--timeout=90s")
        assert group_tree(plain, f"/{ROOT}/{name}") == {f"/{ROOT}/{name}": ()}
        assert plain.group(f"/{ROOT}/{name}") == stale
    finally:
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--ignore-not-found")
        plain.delete_group(stale)


def test_withdrawn_approval_empties_the_groups_closes_storage_and_trino_keeps_data(
    ident: IdentityStack, team: str
) -> None:
    a, ns = team, f"ws-{team}"
    carol_s3 = member_s3(ident.minio, ident.keycloak, "carol")
    assert read(carol_s3, ns, "results/cohort.csv")
    withdrawn = {"decision": "Rejected", "by": ADMIN, "reason": "authorisation withdrawn"}
    patch = json.dumps({"spec": {"approval": withdrawn}})
    done = kubectl(ident.kubeconfig, "patch", "workspace", a, "--type=merge", "-p", patch)
    assert done.returncode == 0, done.stderr
    try:
        wait_for("groups emptied", identity_is(ident, a, "Synchronized"), timeout=REACT)
        tree = group_tree(operator_identity(ident.keycloak), f"/{ROOT}/{a}")
        assert sorted(tree) == [f"/{ROOT}/{a}", *(f"/{ROOT}/{a}/{r}" for r in ROLES)]
        assert all(members == () for members in tree.values()), tree
        seen: dict[str, bool] = {}

        def closed() -> bool:
            seen["trino's group file"] = group_file(ident, a) == ""
            seen["carol's issued credentials"] = denied(
                lambda: read(carol_s3, ns, "results/cohort.csv")
            )
            seen["alice's new credentials"] = not bucket_reaches(ident, "alice", ns)
            return all(seen.values())

        try:
            wait_for("the members' data paths to close", closed, timeout=REACT, interval=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; closed: {seen}") from None
        assert read(root_client(ident.minio), ns, "results/cohort.csv") == b"id\n1\n"
    finally:
        approve(ident.kubeconfig, a)
    wait_for(
        "access back",
        lambda: "carol" in group_file(ident, a) and bucket_reaches(ident, "carol", ns),
        timeout=REACT,
        interval=1,
    )


def group_file(ident: IdentityStack, workspace: str) -> str:
    """Trino's group file as the workspace's ConfigMap holds it."""
    found = ident.cluster.get(CONFIG_MAP, "trino-access", f"ws-{workspace}")
    assert found is not None
    text: str = found["data"]["group.txt"]
    return text


def test_keycloak_outage_is_reported_never_delays_removals_and_heals_by_itself(
    ident: IdentityStack, team: str
) -> None:
    a, ns = team, f"ws-{team}"
    carol_kube = token(ident.keycloak, "carol", "kubernetes")
    carol_s3 = member_s3(ident.minio, ident.keycloak, "carol")
    assert read(carol_s3, ns, "results/cohort.csv")
    stopped = time.monotonic()
    with keycloak_frozen(ident.paths):
        # Carol leaves and bob joins while the identity provider answers nothing.
        set_members(ident, a, [{"user": "bob", "role": "analyst"}])
        cond = wait_for(
            "IdentityProviderUnavailable",
            identity_is(ident, a, "IdentityProviderUnavailable"),
            timeout=REACT,
        )
        assert cond["status"] == "False"
        degraded = condition(ident.cluster.get(WORKSPACE, a), "Degraded")
        assert degraded is not None and degraded["status"] == "True"
        # Her removal did not wait for Keycloak: kubectl (her token is still valid; the API
        # server has the realm's keys) and her issued credentials fail.
        wait_for(
            "carol's own access to close",
            lambda: (
                kubectl_with_token(ident.kube, carol_kube, "get", "pods", "-n", ns).returncode != 0
                and denied(lambda: read(carol_s3, ns, "results/cohort.csv"))
            ),
            timeout=REACT,
        )
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))  # a 30 s outage, at least
    back = time.monotonic()
    wait_for("Identity in sync again", identity_is(ident, a, "Synchronized"), timeout=REACT)
    healed = time.monotonic() - back
    tree = group_tree(operator_identity(ident.keycloak), f"/{ROOT}/{a}")
    assert tree[f"/{ROOT}/{a}/analyst"] == ("bob",)
    assert tree[f"/{ROOT}/{a}/viewer"] == ()
    assert bucket_reaches(ident, "bob", ns)
    print(
        f"\nKeycloak stopped {back - stopped:.0f}s; groups in sync {healed:.1f}s after it answered"
    )
