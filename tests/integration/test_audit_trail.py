"""The audit trail end to end: two workspaces' Trino (pods the node runs from what the
operator rendered) send their query events to the real receiver, at the machine's end of the
node's link, which writes them to MinIO's object-lock bucket; the operator's decisions join
them with who made them.

One scripted run (module fixture) of queries by several members of two workspaces, one
workspace's Trino after the other — finished, failed and denied, on a granted dataset and on
the workspace's own tables, B's while the receiver is stopped (at least 30 s, while B's
Trino starts) — then each test checks one property of the trail.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from devstack import stack
from devstack.paths import StackPaths
from devstack.s3_clients import s3_client
from havre import cli as havre_cli
from havre.api import names
from havre.audit.credentials import workspace_credential
from havre.audit.report import render_table
from havre.audit.trail import batch_key
from havre.kube.kinds import by_name
from tests.integration.audit import (
    Sent,
    delete_workspace_now,
    run_query,
    trail,
    trail_store,
    workspace_trino,
)
from tests.integration.conftest import Kube, Platform
from tests.integration.datasets import Dataset, create_dataset, drop_dataset
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.trino_pods import START_TIMEOUT
from tests.integration.workspaces import apply, condition, dataset, grant, unique
from tests.integration.workspaces import workspace as workspace_manifest

pytestmark = pytest.mark.integration
PREFIX = "oidc:"
OUTAGE_SECONDS = 30
BASIS_A, BASIS_B = "MR-004", "CNIL DR-2026-042"
#: A coordinator alone, at the smallest size the API allows (it runs on the test node).
SIZE = {"workers": 0, "cpu": "500m", "memory": "2Gi"}


@dataclass(frozen=True)
class Run:
    a: str
    b: str
    catalog: str
    dataset: str
    sent: tuple[Sent, ...]
    during_outage: tuple[str, ...]
    steward: str
    uids: dict[str, str]
    trino_logs: tuple[Path, ...]


def _engine_ready(kube: Kube, name: str) -> dict[str, Any] | None:
    obj = kube.cluster.get(by_name("Workspace"), name)
    ready, engine = condition(obj, "Ready"), condition(obj, "QueryEngine")
    if obj is None or not ready or ready["status"] != "True":
        return None
    return obj if engine and engine["status"] == "True" and obj["status"].get("grants") else None


def _uid(kube: Kube, name: str) -> str:
    """The workspace's UID, once it exists (a grant binds only to a workspace made before it)."""
    obj = wait_for(f"workspace {name}", lambda: kube.cluster.get(by_name("Workspace"), name), 60)
    return str(obj["metadata"]["uid"])


def _grant_as(kube: Kube, steward: str, ws: str, dataset_name: str, basis: str) -> None:
    manifest = grant(f"{ws}-snds", ws, dataset_name)
    manifest["spec"] = {**manifest["spec"], "legalBasis": basis}
    _as(kube, steward, "apply", "-f", "-", stdin=json.dumps(manifest))


def _granted(minio: dict[str, Any], audit: dict[str, Any], ws: str) -> bool:
    return any(
        r["kind"] == "decision" and r["action"] == "grant-created" and r.get("workspace") == ws
        for r in trail(minio, audit["bucket"])
    )


def _as(kube: Kube, user: str, *args: str, stdin: str | None = None) -> None:
    result = kubectl(kube.kubeconfig, *args, as_user=f"{PREFIX}{user}", stdin=stdin)
    assert result.returncode == 0, result.stderr


def _bind(kube: Kube, name: str, role: str, user: str) -> None:
    kubectl(kube.kubeconfig, "delete", "clusterrolebinding", name, "--ignore-not-found")
    made = kubectl(
        kube.kubeconfig,
        "create",
        "clusterrolebinding",
        name,
        f"--clusterrole={role}",
        f"--user={PREFIX}{user}",
    )
    assert made.returncode == 0, made.stderr


def _query_records(minio: dict[str, Any], bucket: str, ids: set[str]) -> list[dict[str, Any]]:
    return [r for r in trail(minio, bucket) if r["kind"] == "query" and r["queryId"] in ids]


def _wait_recorded(minio: dict[str, Any], bucket: str, sent: list[Sent]) -> None:
    ids = {s.query_id for s in sent}
    wait_for(
        f"the records of {len(ids)} queries in the trail",
        lambda: len({r["queryId"] for r in _query_records(minio, bucket, ids)}) == len(ids),
        timeout=120,
        interval=2,
    )


@pytest.fixture(scope="module")
def published(minio: dict[str, Any], postgres: dict[str, Any]) -> Iterator[Dataset]:
    ds = create_dataset(minio, postgres, rows=200, seed=11, prepared=True)
    yield ds
    drop_dataset(minio, postgres, ds)


@pytest.fixture(scope="module")
def run(
    kube: Kube,
    operator: OperatorProcess,
    platform: Platform,
    keycloak: dict[str, Any],
    minio: dict[str, Any],
    audit: dict[str, Any],
    published: Dataset,
    stack_paths: StackPaths,
) -> Iterator[Run]:
    a, b = unique("audit-a"), unique("audit-b")
    steward = f"sam-{a[-6:]}"
    # bob is no member of B: his queries there are a signed-in non-member's (denied).
    passwords = dict(keycloak["users"])
    target = published.target
    catalog = published.name.replace("-", "_")
    table = f"{catalog}.snds.ir_ben_r"
    _bind(kube, f"test-audit-{steward}", "havre-data-steward", steward)
    # The steward who grants it is the dataset's own (admission checks it).
    published_as = dataset(
        published.name, target.bucket, target.prefix, target.namespace, steward=steward
    )
    apply(kube.kubeconfig, published_as)
    members_a = [{"user": "bob", "role": "analyst"}, {"user": "carol", "role": "viewer"}]
    apply(kube.kubeconfig, workspace_manifest(a, owner="alice", members=members_a, size=SIZE))
    # One workspace's Trino on the node at a time: B is made once A's is gone.
    _grant_as(kube, steward, a, published.name, BASIS_A)
    wait_for(f"{a}'s query engine with its grant", partial(_engine_ready, kube, a), START_TIMEOUT)
    # The owner adds a member (a membership decision the trail must attribute to alice),
    # once the operator has given her, as owner, the right to edit her workspace.
    patch = json.dumps({"spec": {"members": [*members_a, {"user": "dave", "role": "viewer"}]}})
    wait_for(
        "alice's edit of her workspace",
        lambda: kubectl(
            kube.kubeconfig, "patch", "workspace", a, "--type=merge", "-p", patch,
            as_user=f"{PREFIX}alice",
        ).returncode == 0,
        timeout=60,
        interval=2,
    )  # fmt: skip
    uids = {a: _uid(kube, a)}
    sent: list[Sent] = []
    during: list[str] = []
    logs = [stack_paths.state / "logs" / f"trino-{ws}.log" for ws in (a, b)]
    try:
        with workspace_trino(kube, a, logs[0]) as port:

            def q(person: str, sql: str, ds: str | None = None) -> None:
                basis = BASIS_A if ds else None
                sent.append(run_query(port, keycloak, passwords, a, person, sql, ds, basis))

            q("alice", "CREATE SCHEMA workspace.results")
            q(
                "bob",
                "CREATE TABLE workspace.results.cohort AS SELECT ben_nir_psa FROM "
                f"{table} WHERE ben_sex_cod = 2",
                published.name,
            )
            q("bob", "SELECT count(*) FROM workspace.results.cohort")
            # count(DISTINCT …) reads the rows: a bare count(*) may be answered from metadata
            q("carol", f"SELECT count(DISTINCT ben_nir_psa) FROM {table}", published.name)
            q("carol", "INSERT INTO workspace.results.cohort VALUES ('x')")
            q("bob", "SELECT * FROM workspace.results.missing")
            # Trino keeps unsent events in memory: let them arrive before it stops.
            _wait_recorded(minio, audit["bucket"], sent)
        # A's Trino goes before B's starts; B stays (the receiver must still know its UID
        # when a test forges with its credential) until the module ends.
        delete_workspace_now(kube, a)
        apply(
            kube.kubeconfig,
            workspace_manifest(
                b, owner="carol", members=[{"user": "alice", "role": "analyst"}], size=SIZE
            ),
        )
        uids[b] = _uid(kube, b)
        _grant_as(kube, steward, b, published.name, BASIS_B)
        # The receiver names who granted from the API server's admission request: it must
        # be up for that, then it stops; B's Trino starts and is queried meanwhile (its
        # events wait in the listener, retried) and the receiver comes back.
        wait_for("B's grant decision in the trail", partial(_granted, minio, audit, b), 120, 2)
        stack.load("audit", stack_paths).stop()
        stopped = time.monotonic()
        wait_for(
            f"{b}'s query engine with its grant", partial(_engine_ready, kube, b), START_TIMEOUT
        )
        with workspace_trino(kube, b, logs[1]) as port:

            def qb(person: str, sql: str, ds: str | None = None) -> None:
                basis = BASIS_B if ds else None
                sent.append(run_query(port, keycloak, passwords, b, person, sql, ds, basis))
                during.append(sent[-1].query_id)

            qb("carol", f"SELECT count(DISTINCT ben_nir_psa) FROM {table}", published.name)
            qb("alice", "CREATE SCHEMA workspace.notes")
            qb("bob", f"SELECT count(*) FROM {table}")
            qb(
                "alice",
                f"SELECT count(DISTINCT ben_nir_psa) FROM {table} WHERE ben_sex_cod = 1",
                published.name,
            )
            qb("carol", "SELECT count(*) FROM workspace.notes.nothing")
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
            stack.up(stack_paths, ["audit"])
            _wait_recorded(minio, audit["bucket"], sent)
        yield Run(
            a, b, catalog, published.name, tuple(sent), tuple(during), steward, uids, tuple(logs)
        )
    finally:
        for ws in (a, b):
            delete_workspace_now(kube, ws)
            kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-snds", "--wait=false")
        kubectl(kube.kubeconfig, "delete", "dataset", published.name, "--wait=false")
        kubectl(kube.kubeconfig, "delete", "clusterrolebinding", f"test-audit-{steward}")


def test_each_query_is_recorded_once_with_person_workspace_dataset_and_legal_basis(
    run: Run, minio: dict[str, Any], audit: dict[str, Any]
) -> None:
    ids = {s.query_id for s in run.sent}
    records = _query_records(minio, audit["bucket"], ids)
    print("\n" + render_table(sorted(records, key=lambda r: r["time"])))
    assert len(records) == len(run.sent), "exactly one record per query"
    by_id = {r["queryId"]: r for r in records}
    outcomes = {s.outcome for s in run.sent}
    assert outcomes == {"finished", "failed", "denied"}
    for sent in run.sent:
        record = by_id[sent.query_id]
        assert record["person"] == sent.person, sent
        assert record["workspace"] == sent.workspace, sent
        assert record["outcome"] == sent.outcome, (sent, record["error"])
        if sent.outcome != "finished":
            assert record["error"]["message"], sent
        if sent.dataset is not None:
            assert record["datasets"] == [sent.dataset], (sent, record["tables"])
            read = [t for t in record["tables"] if t["dataset"] == sent.dataset]
            assert {t["legalBasis"] for t in read} == {sent.legal_basis}, record["tables"]
            assert all(t["grant"] == f"{sent.workspace}-snds" for t in read)
            assert record["rows"] > 0
    own = [by_id[s.query_id] for s in run.sent if "workspace.results.cohort" in s.statement]
    assert any(
        t["catalog"] == "workspace" and t["dataset"] is None for r in own for t in r["tables"]
    )


def test_queries_run_while_the_receiver_was_stopped_are_recorded(
    run: Run, minio: dict[str, Any], audit: dict[str, Any]
) -> None:
    records = _query_records(minio, audit["bucket"], set(run.during_outage))
    assert sorted(r["queryId"] for r in records) == sorted(run.during_outage)


def _event(environment: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return {
        "metadata": {"queryId": "20260101_000000_00000_forge", "query": "SELECT 1"},
        "context": {"user": "mallory", "principal": "mallory", "environment": environment},
        "statistics": {"totalRows": 0, "totalBytes": 0},
        "ioMetadata": {"inputs": []},
        "createTime": now,
        "endTime": now,
    }


def test_a_workspace_credential_cannot_write_another_workspaces_records(
    run: Run, audit: dict[str, Any], minio: dict[str, Any]
) -> None:
    b_token = workspace_credential(audit["key"], run.uids[run.b])
    forged = requests.post(
        f"{audit['url']}/v1/events",
        json=_event(names.trino_environment(run.a)),
        headers={"Authorization": f"Bearer {b_token}"},
        verify=audit["ca"],
        timeout=30,
    )
    assert forged.status_code == 403, forged.text
    assert forged.json()["reason"] == "ForeignWorkspace"
    tampered = b_token[:-1] + ("0" if b_token[-1] != "0" else "1")
    refused = requests.post(
        f"{audit['url']}/v1/events",
        json=_event(names.trino_environment(run.b)),
        headers={"Authorization": f"Bearer {tampered}"},
        verify=audit["ca"],
        timeout=30,
    )
    assert refused.status_code == 401
    forged_ids = [r for r in trail(minio, audit["bucket"]) if r.get("person") == "mallory"]
    assert forged_ids == []


def _refused(action: Any) -> str:
    with pytest.raises(S3Error) as failure:
        action()
    return str(failure.value.code)


def test_audit_objects_cannot_be_deleted_or_rewritten_while_retention_holds(
    run: Run, minio: dict[str, Any], audit: dict[str, Any], operator: OperatorProcess
) -> None:
    bucket = audit["bucket"]
    key = batch_key(0)
    # The operator's and the platform admin's credentials (both MinIO's root user here).
    credentials = {
        "operator": (
            operator.env["HAVRE_STORAGE_ACCESS_KEY"],
            operator.env["HAVRE_STORAGE_SECRET_KEY"],
        ),
        "admin": (minio["access_key"], minio["secret_key"]),
    }
    for who, (access, secret) in credentials.items():
        client = s3_client(minio, access, secret)
        versions = list(client.list_objects(bucket, prefix=key, include_version=True))
        original = min(versions, key=lambda v: v.last_modified)
        before = client.get_object(bucket, key, version_id=original.version_id).read()
        assert _refused(
            lambda c=client, v=original.version_id: c.remove_object(bucket, key, version_id=v)
        ), who
        shorter = Retention(COMPLIANCE, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
        assert _refused(
            lambda c=client, v=original.version_id, r=shorter: c.set_object_retention(
                bucket, key, r, version_id=v
            )
        ), who
        # S3 keeps versions: a PUT on the key adds one; the original stays, byte for byte.
        client.put_object(bucket, key, io.BytesIO(b"forged\n"), 7)
        after = client.get_object(bucket, key, version_id=original.version_id).read()
        assert after == before, who


def _havre_audit(
    minio: dict[str, Any], *args: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    env = {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
    }
    code = havre_cli.main(["audit", *args], env)
    return code, capsys.readouterr().out


def test_verify_passes_on_the_trail_and_names_a_tampered_batch(
    run: Run, minio: dict[str, Any], audit: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _havre_audit(minio, "verify", "--bucket", audit["bucket"], capsys=capsys)
    assert code == 0, out
    assert out.startswith("OK:")
    store = trail_store(minio, audit["bucket"])
    batches = list(store.batches())
    assert len(batches) >= 3
    scratch = f"audit-scratch-{run.a[-6:]}"
    client = store.client
    client.make_bucket(scratch)
    try:
        bad = len(batches) // 2
        for index, (key, data) in enumerate(batches):
            if index == bad:
                data = (
                    data.replace(b'"person":"', b'"person":"x', 1)
                    if b'"person":"' in data
                    else data + b" "
                )
            client.put_object(scratch, key, io.BytesIO(data), len(data))
        code, out = _havre_audit(minio, "verify", "--bucket", scratch, capsys=capsys)
        assert code == 1, out
        assert f"MISMATCH at {batches[bad][0]}" in out
    finally:
        for obj in client.list_objects(scratch, recursive=True, include_version=True):
            client.remove_object(scratch, obj.object_name or "", version_id=obj.version_id)
        client.remove_bucket(scratch)


def test_grant_and_membership_decisions_name_who_made_them(
    run: Run, minio: dict[str, Any], audit: dict[str, Any]
) -> None:
    def decisions() -> list[dict[str, Any]] | None:
        found = [
            r
            for r in trail(minio, audit["bucket"])
            if r["kind"] == "decision" and r.get("workspace") in (run.a, run.b)
        ]
        actions = {(r["action"], r.get("workspace")) for r in found}
        wanted = {
            ("grant-created", run.a),
            ("grant-created", run.b),
            ("member-added", run.a),
            ("workspace-requested", run.a),
        }
        return found if wanted <= actions else None

    found = wait_for("the decisions in the trail", decisions, timeout=60, interval=2)
    print("\n" + render_table(found))
    grants = [r for r in found if r["action"] == "grant-created"]
    assert {r["by"] for r in grants} == {f"{PREFIX}{run.steward}"}
    assert {r["legalBasis"] for r in grants} == {BASIS_A, BASIS_B}
    (added,) = [r for r in found if r["action"] == "member-added"]
    assert (added["member"], added["role"], added["by"]) == ("dave", "viewer", f"{PREFIX}alice")


def test_the_audit_credential_never_reaches_trino_logs(run: Run, audit: dict[str, Any]) -> None:
    assert run.trino_logs
    for ws, log in zip((run.a, run.b), run.trino_logs, strict=True):
        token = workspace_credential(audit["key"], run.uids[ws])
        text = log.read_text()
        assert "http-event-listener" in text or "event listener" in text.lower(), log
        assert token not in text and token.rsplit(".", 1)[1] not in text, log
