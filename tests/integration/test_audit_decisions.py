"""Workspace requests, approvals and rejections in the audit trail, each with who asked:
a researcher requests (attributed through the API server's admission request the
``havre-audit`` webhook showed the receiver), an approver approves one request and rejects
another, then withdraws the approval (``spec.approval.by``, which admission holds to the
approver's own name). Real API server with Havre's admission policies, operator, receiver
and MinIO; no query engine runs (the approved workspace is approved suspended)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from havre.audit.report import render_table
from tests.integration.audit import trail
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import delete, request, unique

pytestmark = pytest.mark.integration
PREFIX = "oidc:"
PERSONAS = {"researcher": "havre-researcher", "approver": "havre-approver"}


def _as(kube: Kube, user: str, *args: str, stdin: str | None = None) -> None:
    result = kubectl(kube.kubeconfig, *args, as_user=f"{PREFIX}{user}", stdin=stdin)
    assert result.returncode == 0, result.stderr


def _decide(kube: Kube, approver: str, name: str, decision: str, **spec: Any) -> None:
    approval = {"decision": decision, "by": f"{PREFIX}{approver}", "reason": f"{decision} here"}
    patch = json.dumps({"spec": {"approval": approval, **spec}})
    _as(kube, approver, "patch", "workspace", name, "--type=merge", "-p", patch)


@pytest.fixture(scope="module")
def people(kube: Kube) -> Iterator[dict[str, str]]:
    """A researcher and an approver (names unique to this run), bound to their personas."""
    suffix = unique("p").split("-")[1]
    users = {role: f"{role[:5]}-{suffix}" for role in PERSONAS}
    for role, persona in PERSONAS.items():
        made = kubectl(
            kube.kubeconfig,
            "create",
            "clusterrolebinding",
            f"test-audit-{users[role]}",
            f"--clusterrole={persona}",
            f"--user={PREFIX}{users[role]}",
        )
        assert made.returncode == 0, made.stderr
    yield users
    for user in users.values():
        kubectl(kube.kubeconfig, "delete", "clusterrolebinding", f"test-audit-{user}")


def test_requests_approvals_and_rejections_are_in_the_trail_with_who_asked(
    kube: Kube,
    operator: OperatorProcess,
    audit: dict[str, Any],
    minio: dict[str, Any],
    people: dict[str, str],
) -> None:
    researcher, approver = people["researcher"], people["approver"]
    approved, rejected = unique("aud-ok"), unique("aud-no")
    try:
        for name in (approved, rejected):
            asked = request(name, owner=researcher, members=[])
            _as(kube, researcher, "create", "-f", "-", stdin=json.dumps(asked))
        _decide(kube, approver, approved, "Approved", suspended=True)
        _decide(kube, approver, rejected, "Rejected")
        # Withdrawn later: a removal of access, recorded as a rejection of the same object.
        _decide(kube, approver, approved, "Rejected")

        def decisions() -> list[dict[str, Any]] | None:
            found = [
                r
                for r in trail(minio, audit["bucket"])
                if r["kind"] == "decision" and r.get("workspace") in (approved, rejected)
            ]
            actions = [(r["action"], r["workspace"]) for r in found]
            wanted = [
                ("workspace-requested", approved),
                ("workspace-requested", rejected),
                ("workspace-approved", approved),
                ("workspace-rejected", rejected),
                ("workspace-rejected", approved),
            ]
            return found if all(w in actions for w in wanted) else None

        found = wait_for("the requests and decisions in the trail", decisions, 120, interval=2)
        print("\n" + render_table(found))
        by = {(r["action"], r["workspace"]): r for r in found}
        for name in (approved, rejected):
            requested = by[("workspace-requested", name)]
            assert requested["by"] == f"{PREFIX}{researcher}", requested
            assert requested["attribution"] == "admission" and requested["requestUid"]
            assert requested["owner"] == researcher
        for key in (
            ("workspace-approved", approved),
            ("workspace-rejected", rejected),
            ("workspace-rejected", approved),
        ):
            record = by[key]
            assert record["by"] == f"{PREFIX}{approver}", record
            assert record["attribution"] == "spec.approval.by"
            assert record["reason"] == f"{key[0].split('-')[1].capitalize()} here"
        # Each decision exactly once, though the operator reconciles each object repeatedly.
        assert len(found) == len({r["decisionId"] for r in found})
        # The API server's requests themselves are in the trail, with the person.
        requests_ = [
            r
            for r in trail(minio, audit["bucket"])
            if r["kind"] == "request" and r.get("workspace") == rejected
        ]
        assert {(r["operation"], r["person"]) for r in requests_} >= {
            ("CREATE", f"{PREFIX}{researcher}"),
            ("UPDATE", f"{PREFIX}{approver}"),
        }
    finally:
        for name in (approved, rejected):
            delete(kube.kubeconfig, name)
