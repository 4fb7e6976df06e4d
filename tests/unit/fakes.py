"""Fakes at the system boundaries, for the pipeline's unit tests.

- ``FakeApiServer``: an HTTP server speaking the few Kubernetes REST calls ``Cluster`` makes
  (GET, LIST with a label selector, server-side apply, merge-patch of status, DELETE),
  holding objects in memory; paths can be made to fail.
- ``FakeStore`` and ``FakeCatalogs``: the ``ObjectStore`` and ``CatalogDatabase`` protocols
  in memory, recording what they were asked; any method can be made to fail.
The integration tests prove the same behaviour on the real systems.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from kubernetes import client

from havre.api.names import OWNER_KEY
from havre.errors import DependencyUnavailable, HavreError, Pending
from havre.external.objectstore import UserStatus, same_policy
from havre.external.ownership import Recorded, record, recorded_uid
from havre.kube.cluster import Cluster
from havre.kube.kinds import KINDS

#: Karmada's clusters too: the hub's tests list members.
PLURALS = {kind.plural for kind in KINDS.values()} | {"clusters"}


def _matches(labels: Mapping[str, str], selector: str) -> bool:
    """``key=value`` pairs, and bare ``key`` (the label exists)."""
    terms = [p.split("=", 1) for p in selector.split(",") if p]
    return all(labels.get(t[0]) == t[1] if len(t) == 2 else t[0] in labels for t in terms)


class FakeApiServer:
    """Objects by REST path; ``fail`` maps a (method, path fragment) to an HTTP status."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.fail: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def cluster(self) -> Cluster:
        configuration = client.Configuration(host=self.url)
        return Cluster(client.ApiClient(configuration), timeout=5)

    def put(self, path: str, obj: dict[str, Any]) -> None:
        obj.setdefault("metadata", {}).setdefault("uid", str(uuid.uuid4()))
        self.objects[path] = obj

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                path = url.path
                with server._lock:
                    server.requests.append((method, path))
                    for (m, fragment), status in server.fail.items():
                        if m == method and fragment in path:
                            self._reply(status, {"message": f"injected {status}"})
                            return
                    self._reply(*server._answer(method, path, parse_qs(url.query), self))

            def do_GET(self) -> None:
                self._serve("GET")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], request: Any
    ) -> tuple[int, Any]:
        if method == "GET" and path in self.objects:
            return 200, self.objects[path]
        if method == "GET":
            prefix = path + "/"
            items = [
                o
                for p, o in self.objects.items()
                if p.startswith(prefix)
                and "/" not in p[len(prefix) :]
                and _matches(o["metadata"].get("labels", {}), query.get("labelSelector", [""])[0])
            ]
            if path.rsplit("/", 1)[-1] in PLURALS:
                return 200, {"items": items}
            return 404, {"message": "not found"}
        if method == "PATCH" and path.endswith("/status"):
            target = path.removesuffix("/status")
            if target not in self.objects:
                return 404, {"message": "not found"}
            patch = request._body()["status"]
            self.objects[target]["status"] = _merge(self.objects[target].get("status", {}), patch)
            return 200, self.objects[target]
        if method == "PATCH":
            obj = request._body()
            obj["metadata"].setdefault("uid", str(uuid.uuid4()))
            self.objects[path] = obj
            return 200, obj
        if method == "POST" and path.endswith("accessreviews"):
            review = request._body()
            return 201, {**review, "status": {"allowed": True}}  # the fake authorizes all
        if method == "DELETE":
            if self.objects.pop(path, None) is None:
                return 404, {"message": "not found"}
            return 200, {}
        return 405, {"message": method}

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _merge(old: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@contextmanager
def api_server() -> Iterator[FakeApiServer]:
    with FakeApiServer() as server:
        yield server


class _Failing:
    """``fail[method] = error``: the next calls of that method raise it."""

    fail: dict[str, HavreError]
    calls: list[tuple[str, tuple[Any, ...]]]

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append((method, args))
        if method in self.fail:
            raise self.fail[method]

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [args for m, args in self.calls if m == method]


DOWN = DependencyUnavailable("store down", reason="ObjectStoreUnavailable")


@dataclass
class FakeStore(_Failing):
    buckets: dict[str, dict[str, str]] = field(default_factory=dict)  # bucket -> tags
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, tuple[str, bool, tuple[str, ...]]] = field(default_factory=dict)
    fail: dict[str, HavreError] = field(default_factory=dict)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return "fake:9000"

    def bucket_exists(self, bucket: str) -> bool:
        self._call("bucket_exists", bucket)
        return bucket in self.buckets

    def list_buckets(self, prefix: str = "") -> list[str]:
        return sorted(b for b in self.buckets if b.startswith(prefix))

    def bucket_owner(self, bucket: str) -> Recorded:
        self._call("bucket_owner", bucket)
        tags = self.buckets.get(bucket)
        return Recorded(f"bucket {bucket}", tags is not None, (tags or {}).get(OWNER_KEY, ""))

    def set_bucket_owner(self, bucket: str, uid: str) -> bool:
        self._call("set_bucket_owner", bucket, uid)
        changed = self.buckets[bucket].get(OWNER_KEY) != uid
        self.buckets[bucket][OWNER_KEY] = uid
        return changed

    def ensure_bucket(self, bucket: str, quota_bytes: int, owner: str = "") -> bool:
        self._call("ensure_bucket", bucket, quota_bytes, owner)
        created = bucket not in self.buckets
        self.buckets.setdefault(bucket, {})
        return (owner != "" and self.set_bucket_owner(bucket, owner)) or created

    def hard_quota(self, bucket: str) -> int | None:
        return None

    def delete_bucket(self, bucket: str) -> bool:
        self._call("delete_bucket", bucket)
        return self.buckets.pop(bucket, None) is not None

    def policy_document(self, name: str) -> dict[str, Any] | None:
        self._call("policy_document", name)
        return self.policies.get(name)

    def ensure_policy(self, name: str, document: Mapping[str, Any]) -> bool:
        self._call("ensure_policy", name, document)
        if name in self.policies and same_policy(self.policies[name], document):
            return False
        self.policies[name] = dict(document)
        return True

    def delete_policy(self, name: str) -> bool:
        self._call("delete_policy", name)
        return self.policies.pop(name, None) is not None

    def user_status(self, access_key: str) -> UserStatus | None:
        user = self.users.get(access_key)
        return None if user is None else UserStatus(user[1], user[2])

    def ensure_user(self, access_key: str, secret_key: str, enabled: bool = True) -> bool:
        self._call("ensure_user", access_key, enabled)
        old = self.users.get(access_key)
        policies = old[2] if old else ()
        self.users[access_key] = (secret_key, enabled, policies)
        return old != self.users[access_key]

    def set_user_enabled(self, access_key: str, enabled: bool) -> bool:
        self._call("set_user_enabled", access_key, enabled)
        user = self.users.get(access_key)
        if user is None or user[1] == enabled:
            return False
        self.users[access_key] = (user[0], enabled, user[2])
        return True

    def attach_policy(self, policy: str, user: str) -> bool:
        self._call("attach_policy", policy, user)
        secret, enabled, policies = self.users[user]
        if not enabled:
            raise HavreError("no such user", reason="ObjectStoreRejected")
        if policy in policies:
            return False
        self.users[user] = (secret, enabled, (*policies, policy))
        return True

    def detach_policy(self, policy: str, user: str) -> bool:
        self._call("detach_policy", policy, user)
        return False

    def delete_user(self, access_key: str) -> bool:
        self._call("delete_user", access_key)
        return self.users.pop(access_key, None) is not None


@dataclass
class FakeCatalogs(_Failing):
    roles: dict[str, tuple[bool, str]] = field(default_factory=dict)  # ws -> (login, comment)
    databases: dict[str, str] = field(default_factory=dict)  # ws -> comment
    grants: dict[str, set[str]] = field(default_factory=dict)
    datasets: set[str] = field(default_factory=set)
    fail: dict[str, HavreError] = field(default_factory=dict)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    #: Datasets whose revocation fails (one bad item among others).
    failing_datasets: set[str] = field(default_factory=set)

    @property
    def endpoint(self) -> str:
        return "fake:5432"

    def workspace_owner(self, workspace: str) -> tuple[Recorded, Recorded]:
        self._call("workspace_owner", workspace)
        role, db = self.roles.get(workspace), self.databases.get(workspace)
        return (
            Recorded("role", role is not None, recorded_uid(role[1]) if role else ""),
            Recorded("database", db is not None, recorded_uid(db)),
        )

    def workspaces(self) -> list[str]:
        return sorted(set(self.roles) | set(self.databases))

    def set_workspace_owner(self, workspace: str, uid: str) -> bool:
        self._call("set_workspace_owner", workspace, uid)
        if workspace in self.roles:
            self.roles[workspace] = (self.roles[workspace][0], record(uid))
        if workspace in self.databases:
            self.databases[workspace] = record(uid)
        return True

    def ensure_workspace(
        self, workspace: str, password: str, *, enabled: bool = True, owner: str = ""
    ) -> bool:
        self._call("ensure_workspace", workspace, enabled)
        changed = self.roles.get(workspace, (None,))[0] != enabled
        comment = self.roles[workspace][1] if workspace in self.roles else record(owner)
        self.roles[workspace] = (enabled, comment)
        self.databases.setdefault(workspace, record(owner))
        return changed

    def disable_workspace(self, workspace: str) -> bool:
        self._call("disable_workspace", workspace)
        if workspace not in self.roles or not self.roles[workspace][0]:
            return False
        self.roles[workspace] = (False, self.roles[workspace][1])
        return True

    def enable_workspace(self, workspace: str) -> bool:
        return False

    def drop_workspace(self, workspace: str) -> bool:
        self._call("drop_workspace", workspace)
        self.grants.pop(workspace, None)
        existed = self.databases.pop(workspace, None) is not None
        return self.roles.pop(workspace, None) is not None or existed

    def ensure_dataset(self, dataset: str) -> bool:
        self._call("ensure_dataset", dataset)
        self.datasets.add(dataset)
        return True

    def grant_dataset(self, workspace: str, dataset: str) -> bool:
        self._call("grant_dataset", workspace, dataset)
        if workspace not in self.roles:
            raise Pending("no role")
        self.grants.setdefault(workspace, set()).add(dataset)
        return True

    def revoke_dataset(self, workspace: str, dataset: str) -> bool:
        self._call("revoke_dataset", workspace, dataset)
        if dataset in self.failing_datasets:
            raise DependencyUnavailable(f"revoking {dataset} failed", reason="CatalogFailed")
        self.grants.get(workspace, set()).discard(dataset)
        return True

    def granted_datasets(self, workspace: str) -> frozenset[str]:
        self._call("granted_datasets", workspace)
        return frozenset(self.grants.get(workspace, set()))

    def ensure_grant_role(self, role: str, password: str, dataset: str, record: str) -> bool:
        self._call("ensure_grant_role", role, dataset, record)
        if dataset not in self.datasets:
            raise Pending("no dataset database")
        old = self.roles.get(role)
        self.roles[role] = (True, record)
        self.grants[role] = {dataset}
        return old != self.roles[role]

    def drop_grant_role(self, role: str) -> bool:
        self._call("drop_grant_role", role)
        self.grants.pop(role, None)
        return self.roles.pop(role, None) is not None
