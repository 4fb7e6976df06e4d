"""One sign-in, every path: a member's own Keycloak token reaches the workspace's Trino, its
bucket (STS credentials from MinIO) and its namespace (kubectl) within the reconcile delay,
and stops reaching all three when the member is removed; credentials reach nothing else.

Real Keycloak, MinIO, API server and Trino (the operator's Deployments run as pods on the
stack's node, see followed_trino.py); the operator under test is the session's.
"""

from __future__ import annotations

import os
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

from tests.integration.followed_trino import FollowedTrino
from tests.integration.helpers import kubectl, wait_for
from tests.integration.identity import (
    REACT,
    IdentityStack,
    bucket_reaches,
    identity_is,
    kubectl_reaches,
    kubectl_with_token,
    member_s3,
    set_members,
    sts_client,
    sts_credentials,
    token,
)
from tests.integration.storage import denied, put, read, root_client
from tests.integration.workspaces import WORKSPACE, apply, unique, wait_provisioned, workspace
from tests.integration.workspaces import dataset as dataset_manifest
from tests.integration.workspaces import grant as grant_manifest

pytestmark = pytest.mark.integration

DATASET_BUCKET = "havre-datasets"


@dataclass(frozen=True)
class Spaces:
    a: str  # owner alice, viewer carol; dataset `granted` granted
    b: str  # owner bob
    granted: str
    not_granted: str


@pytest.fixture(scope="module")
def ident(identity_stack: IdentityStack) -> IdentityStack:
    return identity_stack


@pytest.fixture(scope="module")
def spaces(ident: IdentityStack) -> Iterator[Spaces]:
    root = root_client(ident.minio)
    if not root.bucket_exists(DATASET_BUCKET):
        root.make_bucket(DATASET_BUCKET)
    a, b = unique("ida"), unique("idb")
    granted, not_granted = unique("idds"), unique("idds")
    for ds in (granted, not_granted):
        put(root, DATASET_BUCKET, f"{ds}/part-0.csv", f"rows of {ds}\n".encode())
        apply(ident.kubeconfig, dataset_manifest(ds, DATASET_BUCKET, ds))
    # a's Trino runs on the node (a coordinator alone, the smallest size); b's is never
    # queried, so b asks for more CPU than the two-core node has and none of it starts.
    size = {"workers": 0, "cpu": "500m", "memory": "2Gi", "storage": "1Gi"}
    apply(
        ident.kubeconfig,
        workspace(a, owner="alice", members=[{"user": "carol", "role": "viewer"}], size=size),
    )
    apply(ident.kubeconfig, workspace(b, owner="bob", members=[], size={**size, "cpu": "2"}))
    for name in (a, b):
        wait_provisioned(ident.cluster, name, timeout=REACT)
        wait_for(f"{name}'s groups", identity_is(ident, name, "Synchronized"), timeout=REACT)
    # A grant binds to the workspace it finds when made: after the workspace, never before.
    apply(ident.kubeconfig, grant_manifest(f"{a}-grant", a, granted))
    wait_for(
        "the grant in force",
        lambda: [g["dataset"] for g in _status(ident, a).get("grants", [])] == [granted],
        timeout=REACT,
    )
    put(root, f"ws-{b}", "private.csv", b"b's results")
    yield Spaces(a, b, granted, not_granted)
    for name in (a, b):
        kubectl(ident.kubeconfig, "delete", "workspace", name, "--wait=false")
    kubectl(ident.kubeconfig, "delete", "datasetgrant", f"{a}-grant", "--ignore-not-found")
    for ds in (granted, not_granted):
        kubectl(ident.kubeconfig, "delete", "dataset", ds, "--ignore-not-found")


def _status(ident: IdentityStack, name: str) -> dict[str, Any]:
    obj = ident.cluster.get(WORKSPACE, name)
    status: dict[str, Any] = (obj or {}).get("status") or {}
    return status


def _trino_reaches(ident: IdentityStack, engine: FollowedTrino, user: str) -> bool:
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
    ident: IdentityStack, spaces: Spaces
) -> None:
    a, ns = spaces.a, f"ws-{spaces.a}"
    engine = FollowedTrino(ident.cluster, a, ident.paths.state, ident.kubeconfig)
    viewer = [{"user": "carol", "role": "viewer"}]
    try:
        assert not kubectl_reaches(ident, "bob", ns)
        assert not bucket_reaches(ident, "bob", ns)
        added = time.monotonic()
        set_members(ident, a, [*viewer, {"user": "bob", "role": "analyst"}])
        gained = _delays(
            added,
            {
                "kubectl": lambda: kubectl_reaches(ident, "bob", ns),
                "storage (STS)": lambda: bucket_reaches(ident, "bob", ns),
                "trino": lambda: _trino_reaches(ident, engine, "bob"),
            },
            timeout=REACT + 600,  # Trino's start is in it
        )
        _rights_are_the_roles(ident, ns)
        _connect_recipe_works(ident, a, engine)
        kept = sts_client(
            ident.minio, sts_credentials(ident.minio, token(ident.keycloak, "bob", "minio"))
        )
        put(kept, ns, "bob/notes.csv", b"written with bob's own credentials")

        removed = time.monotonic()
        set_members(ident, a, viewer)
        lost = _delays(
            removed,
            {
                "kubectl": lambda: not kubectl_reaches(ident, "bob", ns),
                "storage (STS)": lambda: not bucket_reaches(ident, "bob", ns),
                "storage (credentials issued before)": lambda: denied(
                    lambda: read(kept, ns, "bob/notes.csv")
                ),
                "trino": lambda: not _trino_reaches(ident, engine, "bob"),
            },
            timeout=REACT + 600,
        )
        # The other members were never disturbed.
        assert kubectl_reaches(ident, "carol", ns)
        assert _trino_reaches(ident, engine, "alice")
    finally:
        engine.stop()
    print("\nmember added, able after: " + ", ".join(f"{k} {v:.1f}s" for k, v in gained.items()))
    print("member removed, refused after: " + ", ".join(f"{k} {v:.1f}s" for k, v in lost.items()))
    print(f"(Trino runs as pods; {engine.rolls} coordinator pod(s) followed)")


def _rights_are_the_roles(ident: IdentityStack, ns: str) -> None:
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


def _connect_recipe_works(ident: IdentityStack, name: str, engine: FollowedTrino) -> None:
    """``havre workspace connect``: the status' URL by default, and a Python snippet that
    answers when run with the member's token."""

    def connect(*extra: str) -> str:
        argv = [sys.executable, "-m", "havre.cli", "workspace", "connect", name]
        argv += ["--issuer", ident.keycloak["issuer"], "--ca-file", ident.keycloak["ca"]]
        done = subprocess.run(
            [*argv, "--user", "bob", "--kubeconfig", ident.kubeconfig, *extra],
            capture_output=True,
            text=True,
            timeout=300,  # imports of a cold interpreter on a loaded machine
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
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0 and "information_schema" in ran.stdout, ran.stderr[-2000:]


def test_member_credentials_reach_only_their_workspace_and_its_granted_datasets(
    ident: IdentityStack, spaces: Spaces
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
