"""Two replicas as the chart runs them (the release's account, settings and peering): the
older one acts, the younger waits; when the acting one stops, the other takes over within
the documented time; no workspace is ever written by both. Who wrote what comes from the
API server's audit log: each replica holds its own token of the release's account.

The replicas run here as processes (their pods need the node; the chart's install on the
node is another module).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.paths import StackPaths
from havre.kube.kinds import by_name
from havre.peering import PEERING
from tests.integration.chart import installed_release, stack_values
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import OperatorProcess, wait_for
from tests.integration.rbac_usage import read_events
from tests.integration.workspaces import apply, condition, delete, unique, workspace

pytestmark = pytest.mark.integration

NAMESPACE = unique("havre-peer")
RELEASE = "havre-peer"
ACCOUNT = f"system:serviceaccount:{NAMESPACE}:{RELEASE}"
#: docs/install.md "Several replicas": after a clean stop the next replica resumes within
#: seconds; the margin covers a reconcile on a loaded machine.
TAKEOVER_SECONDS = 60
PROVISIONED = ("Namespace", "Storage", "Catalog")


@dataclass
class Replicas:
    kube: Kube
    first: OperatorProcess
    second: OperatorProcess
    #: Token id (audit ``credential-id``) of each replica.
    credential: dict[str, str]
    audit_log: Path
    audit_start: int


def _credential_id(kubeconfig: str) -> str:
    """The JWT id of the token in ``kubeconfig``, as the audit log names it."""
    token = yaml.safe_load(Path(kubeconfig).read_text())["users"][0]["user"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"JTI={claims['jti']}"


def _writers(replicas: Replicas, name: str | None = None) -> list[str]:
    """Which replica wrote each Workspace status (of ``name``, or any), in time order."""
    with replicas.audit_log.open("rb") as log:
        log.seek(replicas.audit_start)
        part = replicas.audit_log.with_name(f"audit-{NAMESPACE}.jsonl")
        part.write_bytes(log.read())
    by_token = {token: replica for replica, token in replicas.credential.items()}
    writes = sorted(
        (e["stageTimestamp"], e["user"]["extra"]["authentication.kubernetes.io/credential-id"][0])
        for e in read_events(part, ACCOUNT)
        if e["verb"] == "patch"
        and e.get("objectRef", {}).get("resource") == "workspaces"
        and e.get("objectRef", {}).get("subresource") == "status"
        and (name is None or e["objectRef"].get("name") == name)
        and e.get("responseStatus", {}).get("code", 500) < 300
    )
    return [by_token.get(token, token) for _, token in writes]


def _acting(kube: Kube) -> str | None:
    peering = kube.cluster.get(PEERING, RELEASE)
    peers = (peering or {}).get("status") or {}
    if not peers:
        return None
    return str(max(peers.items(), key=lambda item: item[1]["priority"])[0])


def _provisioned(kube: Kube, name: str, timeout: float) -> None:
    def done() -> bool | None:
        obj = kube.cluster.get(by_name("Workspace"), name)
        if (
            obj is None
            or obj.get("status", {}).get("observedGeneration") != obj["metadata"]["generation"]
        ):
            return None
        ok = all((condition(obj, kind) or {}).get("status") == "True" for kind in PROVISIONED)
        return True if ok else None

    wait_for(f"workspace {name} provisioned", done, timeout)


@pytest.fixture(scope="module")
def replicas(
    request: pytest.FixtureRequest,
    kube: Kube,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    platform: Platform,
    stack_paths: StackPaths,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replicas]:
    tmp = tmp_path_factory.mktemp("peering")
    values = {**stack_values(minio, postgres), "operator": {"replicas": 2}}
    install = installed_release(
        request, kube, platform, tmp, name=RELEASE, namespace=NAMESPACE, values=values
    )
    with install as release:
        env = release.operator_env(minio, postgres)
        processes: dict[str, OperatorProcess] = {}
        credential: dict[str, str] = {}
        for replica in ("replica-a", "replica-b"):
            token = release.account_kubeconfig(tmp / f"{replica}.kubeconfig")
            credential[replica] = _credential_id(token)
            processes[replica] = OperatorProcess(
                token,
                stack_paths.state / "logs" / f"operator-{replica}.log",
                {**env, "POD_ID": replica},  # kopf's name of the replica in the peering
                args=("--peering", RELEASE),
            )
        audit_log = Path(platform("kube")["audit_log"])
        start = audit_log.stat().st_size
        first, second = processes["replica-a"], processes["replica-b"]
        try:
            first.start()
            wait_for("replica-a in the peering", lambda: _acting(kube) == "replica-a" or None, 60)
            second.start()
            yield Replicas(kube, first, second, credential, audit_log, start)
        finally:
            first.stop()
            second.stop()


def test_the_older_replica_acts_and_the_younger_waits(replicas: Replicas) -> None:
    kube = replicas.kube
    peers = wait_for(
        "both replicas in the peering",
        lambda: (
            p
            if len(p := (kube.cluster.get(PEERING, RELEASE) or {}).get("status") or {}) == 2
            else None
        ),
        60,
    )
    assert set(peers) == {"replica-a", "replica-b"}
    name = unique("peer")
    apply(kube.kubeconfig, workspace(name))
    _provisioned(kube, name, 120)
    assert _acting(kube) == "replica-a"
    assert set(_writers(replicas, name)) == {"replica-a"}
    delete(kube.kubeconfig, name)


def test_the_waiting_replica_takes_over_when_the_acting_one_stops(replicas: Replicas) -> None:
    kube = replicas.kube
    replicas.first.stop()  # SIGTERM, as a deleted pod gets
    started = time.monotonic()
    name = unique("takeover")
    apply(kube.kubeconfig, workspace(name))
    _provisioned(kube, name, TAKEOVER_SECONDS)
    assert time.monotonic() - started < TAKEOVER_SECONDS
    assert _acting(kube) == "replica-b"
    assert set(_writers(replicas, name)) == {"replica-b"}
    # Never both at once: every status write is by replica-a, then every one by replica-b.
    order = _writers(replicas)
    assert order == sorted(order), order
    delete(kube.kubeconfig, name)
