"""The chart's rights are exactly what the operator uses: the operator runs with the chart's
ServiceAccount, ClusterRole, Roles and settings file alone, through a workspace's life
(created, members changed, a dataset granted and revoked, expired, deleted), and the API
server's audit log of its requests shows every verb of the release's ClusterRole used,
every verb of havre-operator-workspace used but for the paths named below, nothing refused,
and nothing allowed by a binding that is not the release's.

The operator runs here as a process with the release's token (its pods need the node; the
chart's install on the node is another module), with peering on, as the chart runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.paths import StackPaths
from devstack.tls import StackCA
from havre.kube.kinds import by_name
from tests.integration.chart import installed_release, stack_values
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.rbac_usage import Permission, granted, read_events, unused, used
from tests.integration.workspaces import (
    apply,
    condition,
    dataset,
    delete,
    grant,
    unique,
    workspace,
)

pytestmark = pytest.mark.integration

NAMESPACE = unique("havre-lp")  # a namespace of an earlier run may still be terminating
RELEASE = "havre-lp"  # holds the chart's name: every object is named RELEASE or RELEASE-*
ACCOUNT = f"system:serviceaccount:{NAMESPACE}:{RELEASE}"
WORKSPACE_ROLE = "havre-operator-workspace"
#: What havre-operator-workspace holds for paths this run does not walk: the prune of a kind
#: a workspace stops rendering (a settings or size change, or what an earlier version
#: rendered), and cert-manager's Certificates (trino.tls.certManagerIssuer).
NOT_WALKED = {
    Permission("", "resourcequotas", "delete"),
    Permission("", "limitranges", "delete"),
    Permission("", "serviceaccounts", "delete"),
    Permission("", "configmaps", "delete"),
    Permission("", "secrets", "delete"),
    Permission("", "services", "delete"),
    Permission("apps", "deployments", "delete"),
    Permission("networking.k8s.io", "networkpolicies", "delete"),
    Permission("rbac.authorization.k8s.io", "roles", "delete"),
    *(
        Permission("cert-manager.io", "certificates", v)
        for v in ("list", "create", "patch", "delete")
    ),
}
PROVISIONED = ("Namespace", "Storage", "Catalog")


@dataclass(frozen=True)
class Run:
    events: list[dict[str, Any]]
    rendered: list[dict[str, Any]]
    workspace: str


def _values(minio: dict[str, Any], postgres: dict[str, Any]) -> dict[str, Any]:
    """The stack's values with an identity provider and Trino, as a full platform runs."""
    return {
        **stack_values(minio, postgres),
        "identityProvider": {
            "issuer": "https://127.0.0.1:1/realms/havre",
            "jwksUrl": "https://127.0.0.1:1/realms/havre/protocol/openid-connect/certs",
            "egress": {"cidr": "127.0.0.1/32", "port": 8443},
        },
        "trino": {"enabled": True},
    }


def _soon(seconds: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _workspace_in(kube: Kube, name: str, predicate: Any, what: str, timeout: float) -> None:
    def check() -> bool | None:
        obj = kube.cluster.get(by_name("Workspace"), name)
        return True if obj is not None and predicate(obj) else None

    wait_for(what, check, timeout)


def _provisioned(obj: dict[str, Any]) -> bool:
    return obj.get("status", {}).get("observedGeneration") == obj["metadata"]["generation"] and all(
        (condition(obj, kind) or {}).get("status") == "True" for kind in PROVISIONED
    )


@pytest.fixture(scope="module")
def recorded(
    request: pytest.FixtureRequest,
    kube: Kube,
    minio: dict[str, Any],
    postgres: dict[str, Any],
    platform: Platform,
    stack_paths: StackPaths,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("least-privilege")
    install = installed_release(
        request,
        kube,
        platform,
        tmp,
        name=RELEASE,
        namespace=NAMESPACE,
        values=_values(minio, postgres),
        platform_ca=StackCA(stack_paths.state),
    )
    with install as release:
        token = release.account_kubeconfig(tmp / "sa.kubeconfig")
        audit_log = Path(platform("kube")["audit_log"])
        start = audit_log.stat().st_size
        env = {**release.operator_env(minio, postgres), "HAVRE_TRINO_CA_BUNDLE_FILE": minio["ca"]}
        proc = OperatorProcess(
            token,
            stack_paths.state / "logs" / "operator-least-privilege.log",
            env,
            args=("--peering", RELEASE),
        )
        name = unique("lp")
        try:
            proc.start()
            run_workspace_life(kube, name)
        finally:
            proc.stop()
        with audit_log.open("rb") as log:
            log.seek(start)
            part = tmp / "audit.jsonl"
            part.write_bytes(log.read())
        yield Run(read_events(part, ACCOUNT), release.rendered, name)


def run_workspace_life(kube: Kube, name: str) -> None:
    """Created with two members; a dataset granted; a member removed; the grant revoked;
    expired (the owners' binding goes); deleted."""
    k = kube.kubeconfig
    members = [{"user": "alice", "role": "owner"}, {"user": "bob", "role": "analyst"}]
    apply(k, workspace(name, members=members))
    _workspace_in(kube, name, _provisioned, f"{name} provisioned", 180)
    data, granted_to = unique("lp-data"), unique("lp-grant")
    apply(k, dataset(data, f"snds-{data}", "sample"))
    apply(k, grant(granted_to, name, data))

    def grant_seen() -> bool | None:
        obj = kube.cluster.get(by_name("DatasetGrant"), granted_to)
        return True if obj is not None and obj.get("status", {}).get("conditions") else None

    wait_for(f"grant {granted_to} handled", grant_seen, 120)
    apply(k, workspace(name, members=members[:1]))
    gone = f"ws-{name}"

    def member_unbound() -> bool | None:
        bindings = kube.cluster.list(by_name("RoleBinding"), gone)
        return True if not any("bob" in b["metadata"]["name"] for b in bindings) else None

    wait_for("bob's RoleBinding removed", member_unbound, 120)
    kubectl(k, "delete", "datasetgrant", granted_to, "--wait=true", "--timeout=120s")
    apply(k, workspace(name, members=members[:1], expires=_soon(30)))
    owners = f"havre-ws-{name}-owners"

    def expired(obj: dict[str, Any]) -> bool:
        binding = kube.cluster.get(by_name("ClusterRoleBinding"), owners)
        return (condition(obj, "Access") or {}).get("reason") == "Expired" and binding is None

    _workspace_in(kube, name, expired, f"{name} expired, its owners unbound", 180)
    kubectl(k, "delete", "dataset", data, "--wait=false")
    delete(k, name)
    wait_for(
        f"{name} deleted",
        lambda: kube.cluster.get(by_name("Workspace"), name) is None or None,
        120,
    )


def _reason(event: dict[str, Any]) -> str:
    """Which binding allowed the request, as the API server's authorizer recorded it."""
    return str(event.get("annotations", {}).get("authorization.k8s.io/reason", ""))


def _release_role(run: Run) -> dict[str, Any]:
    [role] = [d for d in run.rendered if d["kind"] == "ClusterRole"]
    return role


def test_the_releases_cluster_role_holds_no_verb_the_operator_did_not_use(
    kube: Kube, recorded: Run
) -> None:
    # `update` on workspaces is held to hand it to each workspace's owners (their role).
    owners = [{"apiGroups": ["havre.io"], "resources": ["workspaces"], "verbs": ["update"]}]
    assert unused(_release_role(recorded)["rules"], recorded.events, owners) == []


def test_the_workspace_role_holds_no_verb_unused_but_on_paths_not_walked(
    kube: Kube, recorded: Run
) -> None:
    inside = kube.cluster.get(by_name("ClusterRole"), WORKSPACE_ROLE)
    assert inside is not None
    left = [p for p in unused(inside["rules"], recorded.events) if p not in NOT_WALKED]
    assert left == []
    # And the exceptions are real rights of that role, not typos that excuse nothing.
    assert granted(inside["rules"]) >= NOT_WALKED


def test_nothing_was_refused_and_only_the_releases_bindings_allowed_it(
    kube: Kube, recorded: Run
) -> None:
    refused = [
        (e["verb"], e["requestURI"])
        for e in recorded.events
        if e.get("responseStatus", {}).get("code") == 403
    ]
    assert refused == []
    reasons = {_reason(e) for e in recorded.events}
    foreign = sorted(
        r
        for r in reasons
        if r and f'"{RELEASE}' not in r and f'"{WORKSPACE_ROLE}"' not in r and '"system:' not in r
    )
    assert foreign == []
    inside = kube.cluster.get(by_name("ClusterRole"), WORKSPACE_ROLE)
    assert inside is not None
    held: set[Permission] = granted(inside["rules"])
    for doc in recorded.rendered:
        if doc["kind"] in ("ClusterRole", "Role"):
            held |= granted(doc["rules"])
    # What every authenticated user may do (system:basic-user: access reviews of oneself)
    # is not the release's to grant.
    own = [e for e in recorded.events if '"system:' not in _reason(e)]
    assert used(own) <= held, sorted(str(p) for p in used(own) - held)


def test_the_operator_wrote_through_the_release_account(recorded: Run) -> None:
    writes = {
        (e["objectRef"].get("resource"), e["objectRef"].get("subresource"))
        for e in recorded.events
        if e["verb"] in ("create", "patch", "delete")
        and e.get("responseStatus", {}).get("code", 500) < 300
    }
    assert ("workspaces", "status") in writes
    assert ("namespaces", None) in writes
    assert ("rolebindings", None) in writes
    assert ("clusterkopfpeerings", None) in writes  # peering on, as in the chart
