"""``havre workspace``: an approver's commands on workspace requests (docs/approval.md).

    havre workspace requests                       # requests awaiting a decision
    havre workspace approve NAME [--reason TEXT]
    havre workspace reject NAME [--reason TEXT]

They act with the caller's own identity (``KUBECONFIG`` or ``--kubeconfig``, or the pod's
service account): the API server's admission policy accepts the decision only from an
approver, and only with ``spec.approval.by`` equal to the caller's username, which the
command asks the API server for (a SelfSubjectReview) rather than guessing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from havre.api.model import Decision
from havre.errors import HavreError
from havre.kube.cluster import Cluster
from havre.kube.kinds import by_name

WORKSPACE = by_name("Workspace")
_REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


class CommandError(RuntimeError):
    """The API server refused or could not be reached; the message says why."""


def add_workspace_commands(groups: Any) -> Any:
    """Register ``workspace requests|approve|reject`` on the ``havre`` parser's groups;
    return the ``workspace`` actions, for commands other modules add (``connect``)."""
    workspace = groups.add_parser("workspace", help="decide on workspace requests (approver)")
    actions = workspace.add_subparsers(dest="action", required=True)
    for decision, verb in ((Decision.APPROVED, "approve"), (Decision.REJECTED, "reject")):
        command = actions.add_parser(
            verb,
            help=f"{verb} a workspace request as yourself",
            description=f"Set spec.approval of the Workspace to {decision.value}, recorded "
            "with your API username; only an approver who does not own the workspace may.",
        )
        command.add_argument("name", help="the Workspace")
        command.add_argument("--reason", help="why, in a sentence (kept in spec.approval)")
        command.set_defaults(decision=decision)
    requests = actions.add_parser("requests", help="list the requests awaiting a decision")
    requests.set_defaults(decision=None)
    for sub in actions.choices.values():
        sub.add_argument("--kubeconfig", help="kubeconfig file (default: KUBECONFIG)")
        sub.add_argument("--context", help="kubeconfig context")
    return actions


def whoami(cluster: Cluster) -> str:
    """The caller's API username, as the API server authenticates it."""
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    answer = cluster.request("POST", _REVIEW, body=review)
    username = answer.get("status", {}).get("userInfo", {}).get("username")
    if not username:
        raise CommandError("the API server did not say who you are (SelfSubjectReview)")
    return str(username)


def decide(cluster: Cluster, name: str, decision: Decision, reason: str | None) -> str:
    """Record the caller's decision on workspace ``name``; a line for the caller."""
    if cluster.get(WORKSPACE, name) is None:
        raise CommandError(f"workspace {name} not found")
    user = whoami(cluster)
    approval = {"decision": decision.value, "by": user, "reason": reason}  # None drops it
    cluster.request(
        "PATCH",
        WORKSPACE.item(name),
        body={"spec": {"approval": approval}},
        content_type="application/merge-patch+json",
    )
    return f"workspace {name}: {decision.value} by {user}"


def pending(workspaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Workspaces without a decision, oldest request first."""
    waiting = [w for w in workspaces if not w.get("spec", {}).get("approval")]
    return sorted(waiting, key=lambda w: str(w["metadata"].get("creationTimestamp", "")))


def requests_table(workspaces: list[dict[str, Any]], now: dt.datetime) -> str:
    """The pending requests as a table a person reads."""
    rows = [["NAME", "OWNER", "PROFILE", "EXPIRES", "WAITING", "TITLE"]]
    for ws in pending(workspaces):
        spec, meta = ws["spec"], ws["metadata"]
        created = dt.datetime.fromisoformat(meta["creationTimestamp"].replace("Z", "+00:00"))
        waited = now - created
        age = f"{waited.days}d" if waited.days else f"{waited.seconds // 3600}h"
        profile = str(spec.get("sizeProfile", ""))
        rows.append(
            [meta["name"], spec["owner"], profile, str(spec["expires"]), age, spec["title"]]
        )
    if len(rows) == 1:
        return "No workspace request awaits a decision."
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )


def run_workspace_command(args: argparse.Namespace) -> str:
    """Run the parsed ``workspace`` command; its output for the caller."""
    try:
        cluster = Cluster.from_kubeconfig(args.kubeconfig, args.context)
    except Exception as exc:  # the kubernetes package raises several kinds for a bad file
        raise CommandError(f"cannot load the kubeconfig: {exc}") from None
    try:
        if args.action == "requests":
            return requests_table(cluster.list(WORKSPACE), dt.datetime.now(dt.UTC))
        return decide(cluster, args.name, args.decision, args.reason)
    except HavreError as exc:
        raise CommandError(exc.message) from None
