"""The audit-log comparison that proves the operator's ClusterRole holds no unused verb."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.rbac_usage import Permission, read_events, unused, used

SA = "system:serviceaccount:havre:havre-operator"


def _event(
    verb: str, resource: str, code: int = 200, group: str = "", **ref: str
) -> dict[str, Any]:
    return {
        "stage": "ResponseComplete",
        "user": {"username": SA},
        "verb": verb,
        "objectRef": {"resource": resource, "apiGroup": group, **ref},
        "responseStatus": {"code": code},
    }


def test_a_verb_never_used_is_reported() -> None:
    rules = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "delete"]}]
    events = [_event("get", "secrets"), _event("list", "secrets")]
    assert unused(rules, events) == [Permission("", "secrets", "delete")]


def test_server_side_apply_that_created_its_object_used_create() -> None:
    rules = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "patch"]}]
    assert unused(rules, [_event("patch", "deployments", 201, "apps")]) == []
    assert unused(rules, [_event("patch", "deployments", 200, "apps")]) == [
        Permission("apps", "deployments", "create")
    ]


def test_denied_requests_do_not_count_as_use() -> None:
    assert used([_event("delete", "namespaces", 403)]) == set()


def test_permissions_held_to_grant_them_to_members_are_not_unused() -> None:
    rules = [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}]
    delegated = [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}]
    assert unused(rules, [], delegated) == []


def test_subresources_are_their_own_permission() -> None:
    rules = [{"apiGroups": ["havre.io"], "resources": ["workspaces/status"], "verbs": ["patch"]}]
    event = _event("patch", "workspaces", 200, "havre.io", subresource="status")
    assert unused(rules, [event]) == []
    assert unused(rules, [_event("patch", "workspaces", 200, "havre.io")]) != []


def test_only_the_service_accounts_completed_requests_are_read(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    others = {**_event("get", "secrets"), "user": {"username": "admin"}}
    started = {**_event("get", "secrets"), "stage": "RequestReceived"}
    lines = [_event("list", "secrets"), others, started]
    log.write_text("\n".join(json.dumps(e) for e in lines) + "\n")
    assert [e["verb"] for e in read_events(log, SA)] == ["list"]


def test_a_watch_counts_when_it_starts(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    watch = {**_event("watch", "namespaces"), "stage": "ResponseStarted"}
    get = {**_event("get", "namespaces"), "stage": "ResponseStarted"}
    log.write_text("\n".join(json.dumps(e) for e in (watch, get)) + "\n")
    assert used(read_events(log, SA)) == {Permission("", "namespaces", "watch")}


def test_writing_a_binding_uses_bind_on_cluster_roles() -> None:
    rbac = "rbac.authorization.k8s.io"
    rules = [{"apiGroups": [rbac], "resources": ["clusterroles"], "verbs": ["bind"]}]
    assert unused(rules, [_event("get", "rolebindings", 200, rbac)]) != []
    assert unused(rules, [_event("patch", "rolebindings", 201, rbac)]) == []
