"""One sign-in, every path: a member's own Keycloak token reaches the workspace's Trino, its
bucket (STS credentials from MinIO) and its namespace (kubectl), and stops reaching them
when the member is removed; the groups behind it stay equal to the members, survive a
Keycloak outage, and never take an unknown user as a reason to stop.

Real Keycloak, MinIO, API server and Trino (run from the rendered objects, see
followed_trino.py); the operator under test is the session's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trino
from minio import Minio
from minio.error import S3Error

from devstack import stack
from devstack.paths import StackPaths
from havre.external.identity import IdentityProviderUnavailable
from havre.external.keycloak import KeycloakIdentity
from havre.external.minio import MinioStore
from havre.kube.cluster import Cluster
from havre.pipeline.identity import IdentitySync, apply_identity
from havre.pipeline.render.identity import render_identity_plan
from havre.pipeline.validate import validate_workspace
from tests.integration.conftest import Kube, Platform
from tests.integration.followed_trino import FollowedTrino
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.identity import (
    CountingIdentity,
    StsRefused,
    ensure_minio_openid,
    group_tree,
    kubectl_with_token,
    member_s3,
    sts_client,
    sts_credentials,
    token,
)
from tests.integration.storage import denied, put, read, root_client
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    unique,
    wait_ready,
    workspace,
)
from tests.integration.workspaces import dataset as dataset_manifest
from tests.integration.workspaces import grant as grant_manifest

pytestmark = pytest.mark.integration

DATASET_BUCKET = "havre-datasets"
ROOT = "havre"
#: How long the operator may take to act on a change (a loaded machine, a repair tick).
REACT = 90.0


@dataclass(frozen=True)
class Stack:
    kube: dict[str, Any]
    keycloak: dict[str, Any]
    minio: dict[str, Any]
    cluster: Cluster
    kubeconfig: str
    paths: StackPaths


@dataclass(frozen=True)
class Spaces:
    a: str  # owner alice, viewer carol; dataset `granted` granted
    b: str  # owner bob
    granted: str
    not_granted: str


@pytest.fixture(scope="module")
def ident(
    kube: Kube,
    platform: Platform,
    keycloak: dict[str, Any],
    operator: OperatorProcess,
    stack_paths: StackPaths,
) -> Stack:
    minio = ensure_minio_openid(stack_paths)
    return Stack(
        kube=platform("kube"),
        keycloak=keycloak,
        minio=minio,
        cluster=kube.cluster,
        kubeconfig=kube.kubeconfig,
        paths=stack_paths,
    )


def _operator_identity(keycloak: dict[str, Any]) -> KeycloakIdentity:
    return KeycloakIdentity(
        keycloak["url"],
        keycloak["realm"],
        keycloak["operator_client_id"],
        keycloak["operator_client_secret"],
        ca_file=keycloak["ca"],
    )


def _set_members(ident: Stack, name: str, members: list[dict[str, str]]) -> None:
    patch = json.dumps({"spec": {"members": members}})
    done = kubectl(ident.kubeconfig, "patch", "workspace", name, "--type=merge", "-p", patch)
    assert done.returncode == 0, done.stderr


def _identity(ident: Stack, name: str) -> dict[str, Any] | None:
    obj = ident.cluster.get(WORKSPACE, name)
    cond = condition(obj, "Identity")
    if obj is None or cond is None:
        return None
    return cond if cond["observedGeneration"] == obj["metadata"]["generation"] else None


def _identity_is(ident: Stack, name: str, reason: str) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        cond = _identity(ident, name)
        return cond if cond is not None and cond["reason"] == reason else None

    return probe


@pytest.fixture(scope="module")
def spaces(ident: Stack) -> Iterator[Spaces]:
    root = root_client(ident.minio)
    if not root.bucket_exists(DATASET_BUCKET):
        root.make_bucket(DATASET_BUCKET)
    a, b = unique("ida"), unique("idb")
    granted, not_granted = unique("idds"), unique("idds")
    for ds in (granted, not_granted):
        put(root, DATASET_BUCKET, f"{ds}/part-0.csv", f"rows of {ds}\n".encode())
        apply(ident.kubeconfig, dataset_manifest(ds, DATASET_BUCKET, ds))
    apply(ident.kubeconfig, grant_manifest(f"{a}-grant", a, granted))
    size = {"workers": 0, "cpu": "1", "memory": "2Gi", "storage": "1Gi"}
    apply(
        ident.kubeconfig,
        workspace(a, owner="alice", members=[{"user": "carol", "role": "viewer"}], size=size),
    )
    apply(ident.kubeconfig, workspace(b, owner="bob", members=[], size=size))
    for name in (a, b):
        wait_ready(ident.cluster, name, timeout=REACT)
        wait_for(f"{name}'s groups", _identity_is(ident, name, "Synchronized"), timeout=REACT)
    put(root, f"ws-{b}", "private.csv", b"b's results")
    yield Spaces(a, b, granted, not_granted)
    for name in (a, b):
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=false")
    kubectl(ident.kubeconfig, "delete", "datasetgrant", f"{a}-grant", "--ignore-not-found")
    for ds in (granted, not_granted):
        kubectl(ident.kubeconfig, "delete", "dataset", ds, "--ignore-not-found")


def _kubectl_reaches(ident: Stack, user: str, namespace: str) -> bool:
    done = kubectl_with_token(
        ident.kube, token(ident.keycloak, user, "kubernetes"), "get", "pods", "-n", namespace
    )
    return done.returncode == 0


def _bucket_reaches(ident: Stack, user: str, bucket: str) -> bool:
    try:
        client = member_s3(ident.minio, ident.keycloak, user)
        list(client.list_objects(bucket))
    except (StsRefused, S3Error):
        return False
    return True


def _trino_reaches(ident: Stack, engine: FollowedTrino, user: str) -> bool:
    engine.follow()
    try:
        engine.query(ident.keycloak, user, "SHOW SCHEMAS FROM workspace")
    except (trino.exceptions.TrinoQueryError, trino.exceptions.HttpError):
        return False
    return True


def _delays(
    started: float, probes: dict[str, Callable[[], bool]], timeout: float
) -> dict[str, float]:
    """Seconds from ``started`` until each probe held, waiting for them one after the other
    (the slow one last: restarting Trino must not delay the others' measurements)."""
    seen: dict[str, float] = {}
    deadline = started + timeout
    for what, probe in probes.items():
        while not probe():
            assert time.monotonic() < deadline, f"not within {timeout:.0f}s: {what} ({seen})"
            time.sleep(0.5)
        seen[what] = time.monotonic() - started
    return seen


def test_added_member_reaches_trino_storage_and_kubectl_and_loses_all_three_when_removed(
    ident: Stack, spaces: Spaces
) -> None:
    a, ns = spaces.a, f"ws-{spaces.a}"
    engine = FollowedTrino(ident.cluster, a, ident.paths.state)
    viewer = [{"user": "carol", "role": "viewer"}]
    try:
        assert not _kubectl_reaches(ident, "bob", ns)
        assert not _bucket_reaches(ident, "bob", ns)
        added = time.monotonic()
        _set_members(ident, a, [*viewer, {"user": "bob", "role": "analyst"}])
        gained = _delays(
            added,
            {
                "kubectl": lambda: _kubectl_reaches(ident, "bob", ns),
                "storage (STS)": lambda: _bucket_reaches(ident, "bob", ns),
                "trino": lambda: _trino_reaches(ident, engine, "bob"),
            },
            timeout=REACT + 300,  # Trino's start (the coordinator's roll) is in it
        )
        _rights_are_the_roles(ident, ns)
        _connect_recipe_works(ident, a, engine)
        kept = sts_client(
            ident.minio, sts_credentials(ident.minio, token(ident.keycloak, "bob", "minio"))
        )
        put(kept, ns, "bob/notes.csv", b"written with bob's own credentials")

        removed = time.monotonic()
        _set_members(ident, a, viewer)
        lost = _delays(
            removed,
            {
                "kubectl": lambda: not _kubectl_reaches(ident, "bob", ns),
                "storage (STS)": lambda: not _bucket_reaches(ident, "bob", ns),
                "storage (credentials issued before)": lambda: denied(
                    lambda: read(kept, ns, "bob/notes.csv")
                ),
                "trino": lambda: not _trino_reaches(ident, engine, "bob"),
            },
            timeout=REACT + 300,
        )
        # The other members were never disturbed.
        assert _kubectl_reaches(ident, "carol", ns)
        assert _trino_reaches(ident, engine, "alice")
    finally:
        engine.stop()
    print("\nmember added, able after: " + ", ".join(f"{k} {v:.1f}s" for k, v in gained.items()))
    print("member removed, refused after: " + ", ".join(f"{k} {v:.1f}s" for k, v in lost.items()))
    print(f"(Trino runs from the rendered objects; {engine.rolls} coordinator start(s) included)")


def _rights_are_the_roles(ident: Stack, ns: str) -> None:
    """With their own tokens, each member has exactly their role's rights (docs/rbac.md)."""
    expected = {
        ("bob", "get", "pods"): True,
        ("bob", "create", "pods/portforward"): True,
        ("bob", "delete", "pods"): False,
        ("bob", "get", "secrets"): False,
        ("carol", "get", "pods"): True,
        ("carol", "create", "pods/portforward"): False,
        ("alice", "delete", "pods"): True,
        ("alice", "create", "pods"): False,
        ("alice", "get", "secrets"): False,
    }
    bearer = {u: token(ident.keycloak, u, "kubernetes") for u in ("alice", "bob", "carol")}
    answers = {}
    for user, verb, resource in expected:
        kind, _, sub = resource.partition("/")
        question = ["auth", "can-i", verb, kind, "-n", ns] + (["--subresource", sub] if sub else [])
        done = kubectl_with_token(ident.kube, bearer[user], *question)
        answers[(user, verb, resource)] = done.stdout.strip() == "yes"
    assert answers == expected


def _connect_recipe_works(ident: Stack, name: str, engine: FollowedTrino) -> None:
    """``havre workspace connect``: the status' URL by default, and a Python snippet that
    answers when run with the member's token."""

    def connect(*extra: str) -> str:
        argv = [sys.executable, "-m", "havre.cli", "workspace", "connect", name]
        argv += ["--issuer", ident.keycloak["issuer"], "--ca-file", ident.keycloak["ca"]]
        done = subprocess.run(
            [*argv, "--user", "bob", "--kubeconfig", ident.kubeconfig, *extra],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert f"https://trino.ws-{name}.svc:8443" in connect()
    recipe = connect("--trino-url", engine.url)
    assert f"trino --server {engine.url} --user bob" in recipe
    snippet = textwrap.dedent(recipe.split("Python (pip install trino):\n", 1)[1])
    bearer = token(ident.keycloak, "bob", "trino")
    # A researcher's environment: no CA bundle variables, which would override verify=.
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    ran = subprocess.run(
        [sys.executable, "-c", snippet],
        env={**env, "TOKEN": bearer},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0 and "information_schema" in ran.stdout, ran.stderr[-2000:]


def test_member_credentials_reach_only_their_workspace_and_its_granted_datasets(
    ident: Stack, spaces: Spaces
) -> None:
    a, b = f"ws-{spaces.a}", f"ws-{spaces.b}"
    granted, other = f"{spaces.granted}/part-0.csv", f"{spaces.not_granted}/part-0.csv"
    alice: Minio = member_s3(ident.minio, ident.keycloak, "alice")  # owner of A
    put(alice, a, "results/cohort.csv", b"id\n1\n")
    assert read(alice, a, "results/cohort.csv") == b"id\n1\n"
    assert read(alice, DATASET_BUCKET, granted).startswith(b"rows of")
    assert denied(lambda: put(alice, DATASET_BUCKET, granted, b"overwrite"))
    assert denied(lambda: read(alice, DATASET_BUCKET, other))
    assert denied(lambda: read(alice, b, "private.csv"))
    assert denied(lambda: put(alice, b, "intrusion.csv", b"!"))
    assert denied(lambda: list(alice.list_objects(b)))

    carol = member_s3(ident.minio, ident.keycloak, "carol")  # viewer of A
    assert read(carol, a, "results/cohort.csv") == b"id\n1\n"
    assert read(carol, DATASET_BUCKET, granted).startswith(b"rows of")
    assert denied(lambda: put(carol, a, "results/viewer.csv", b"no"))
    assert denied(lambda: alice.remove_object(b, "private.csv"))

    # Revoking the grant closes the dataset to credentials already issued.
    kubectl(ident.kubeconfig, "delete", "datasetgrant", f"{spaces.a}-grant", "--wait=false")
    wait_for(
        "the dataset to close to alice's credentials",
        lambda: denied(lambda: read(alice, DATASET_BUCKET, granted)),
        timeout=REACT,
    )
    assert read(alice, a, "results/cohort.csv") == b"id\n1\n"


def test_unknown_member_is_named_and_the_others_keep_their_access(
    ident: Stack, spaces: Spaces
) -> None:
    a, ghost = spaces.a, f"ghost-{secrets.token_hex(3)}"
    viewer = [{"user": "carol", "role": "viewer"}]
    _set_members(ident, a, [*viewer, {"user": ghost, "role": "analyst"}])
    cond = wait_for(
        "Identity UnknownMember", _identity_is(ident, a, "UnknownMember"), timeout=REACT
    )
    assert cond["status"] == "False" and ghost in cond["message"]
    ready = condition(ident.cluster.get(WORKSPACE, a))
    assert ready is not None and ready["status"] == "True", ready  # degrades only itself
    assert _kubectl_reaches(ident, "alice", f"ws-{a}")
    assert _bucket_reaches(ident, "carol", f"ws-{a}")
    tree = group_tree(_operator_identity(ident.keycloak), f"/{ROOT}/{a}")
    assert tree[f"/{ROOT}/{a}/viewer"] == ("carol",)
    assert tree[f"/{ROOT}/{a}/analyst"] == ()
    _set_members(ident, a, viewer)
    wait_for("Identity in sync again", _identity_is(ident, a, "Synchronized"), timeout=REACT)


def test_reconciling_again_changes_nothing_in_keycloak(ident: Stack, spaces: Spaces) -> None:
    a = spaces.a
    plain = _operator_identity(ident.keycloak)
    before = group_tree(plain, f"/{ROOT}/{a}")
    assert sorted(before) == [
        f"/{ROOT}/{a}",
        *(f"/{ROOT}/{a}/{r}" for r in ("analyst", "owner", "viewer")),
    ]
    obj = ident.cluster.get(WORKSPACE, a)
    assert obj is not None
    valid = validate_workspace(a, obj["spec"], dt.datetime.now(dt.UTC))
    plan = render_identity_plan(valid, obj["metadata"]["uid"], ROOT)
    counting = CountingIdentity(plain)
    for _ in range(2):
        assert apply_identity(counting, plan) == []
    assert counting.writes == 0, counting.calls
    after = group_tree(plain, f"/{ROOT}/{a}")
    assert after == before
    # The operator's memo: the same plan again costs Keycloak nothing until the resync.
    sync = IdentitySync(CountingIdentity(plain), resync_seconds=60)
    assert sync.apply(plan) == [] and sync.apply(plan) == []
    assert isinstance(sync.provider, CountingIdentity)
    assert sum(sync.provider.calls.values()) == sum(counting.calls.values()) // 2
    memberships = sum(len(m) for m in after.values())
    print(
        f"\nKeycloak under /{ROOT}/{a}: {len(after)} groups, {memberships} memberships, unchanged; "
        f"{sum(counting.calls.values()) // 2} reads and 0 writes per reconcile"
    )


def test_deleted_workspace_takes_its_groups_and_member_policies_along(ident: Stack) -> None:
    name = unique("idc")
    apply(ident.kubeconfig, workspace(name, owner="alice", members=[]))
    wait_for(f"{name}'s groups", _identity_is(ident, name, "Synchronized"), timeout=REACT)
    plain = _operator_identity(ident.keycloak)
    assert group_tree(plain, f"/{ROOT}/{name}")[f"/{ROOT}/{name}/owner"] == ("alice",)
    store = MinioStore(
        ident.minio["endpoint"],
        ident.minio["access_key"],
        ident.minio["secret_key"],
        secure=False,
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


def test_group_of_another_workspace_uid_is_never_adopted(ident: Stack) -> None:
    name = unique("idx")
    plain = _operator_identity(ident.keycloak)
    parent = plain.group(f"/{ROOT}") or plain.create_group(None, ROOT, {})
    stale = plain.create_group(parent, name, {"havre.io/workspace-uid": ("an-earlier-life",)})
    try:
        apply(ident.kubeconfig, workspace(name, owner="alice", members=[]))
        cond = wait_for(
            "IdentityGroupConflict",
            _identity_is(ident, name, "IdentityGroupConflict"),
            timeout=REACT,
        )
        assert "an-earlier-life" in cond["message"]
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=true", "--timeout=90s")
        assert group_tree(plain, f"/{ROOT}/{name}") == {f"/{ROOT}/{name}": ()}
        assert plain.group(f"/{ROOT}/{name}") == stale
    finally:
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--ignore-not-found")
        plain.delete_group(stale)


def test_keycloak_outage_is_reported_never_delays_removals_and_heals_by_itself(
    ident: Stack, spaces: Spaces
) -> None:
    a, ns = spaces.a, f"ws-{spaces.a}"
    carol_kube = token(ident.keycloak, "carol", "kubernetes")
    carol_s3 = member_s3(ident.minio, ident.keycloak, "carol")
    assert read(carol_s3, ns, "results/cohort.csv")
    stopped = time.monotonic()
    stack.down(ident.paths, ["keycloak"])
    try:
        # Carol leaves and bob joins while the identity provider is down.
        _set_members(ident, a, [{"user": "bob", "role": "analyst"}])
        cond = wait_for(
            "IdentityProviderUnavailable",
            _identity_is(ident, a, "IdentityProviderUnavailable"),
            timeout=REACT,
        )
        assert cond["status"] == "False"
        degraded = condition(ident.cluster.get(WORKSPACE, a), "Degraded")
        assert degraded is not None and degraded["status"] == "True"
        # Her removal did not wait for Keycloak: kubectl and her issued credentials fail.
        wait_for(
            "carol's own access to close",
            lambda: (
                kubectl_with_token(ident.kube, carol_kube, "get", "pods", "-n", ns).returncode != 0
                and denied(lambda: read(carol_s3, ns, "results/cohort.csv"))
            ),
            timeout=REACT,
        )
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))  # a 30 s outage, at least
    finally:
        stack.up(ident.paths, ["keycloak"])
    back = time.monotonic()
    wait_for("Identity in sync again", _identity_is(ident, a, "Synchronized"), timeout=REACT)
    healed = time.monotonic() - back
    tree = group_tree(_operator_identity(ident.keycloak), f"/{ROOT}/{a}")
    assert tree[f"/{ROOT}/{a}/analyst"] == ("bob",)
    assert tree[f"/{ROOT}/{a}/viewer"] == ()
    assert _bucket_reaches(ident, "bob", ns)
    print(
        f"\nKeycloak down {back - stopped:.0f}s (stop to ready); groups in sync "
        f"{healed:.1f}s after it answered"
    )
