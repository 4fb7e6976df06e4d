"""A member's own sign-in, as a researcher uses it: Keycloak tokens per service, STS
credentials from MinIO, kubectl with a bearer token, and a counting identity provider.

Nothing here impersonates: every token comes from the stack's Keycloak with the member's
password (the test platform allows the password grant), and is checked by the real API
server, MinIO and Trino.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from keycloak import KeycloakOpenID
from minio import Minio
from minio.credentials.providers import StaticProvider
from minio.error import S3Error

from devstack import stack
from devstack.components import minio_oidc
from devstack.paths import StackPaths
from havre.external.identity import Attributes, Group, GroupMember, IdentityProvider
from havre.external.keycloak import KeycloakIdentity
from havre.kube.cluster import Cluster
from tests.integration.helpers import kubectl
from tests.integration.workspaces import WORKSPACE, condition

_STS_NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
#: The operator's group root on the test platform.
ROOT = "havre"
#: How long the operator may take to act on a change (a loaded machine, a repair tick).
REACT = 90.0


@dataclass(frozen=True)
class IdentityStack:
    """The platform as the identity tests reach it: the API server (its address and CA),
    Keycloak, MinIO trusting the realm, and the session's operator."""

    kube: dict[str, Any]
    keycloak: dict[str, Any]
    minio: dict[str, Any]
    cluster: Cluster
    kubeconfig: str
    paths: StackPaths


def token(keycloak: dict[str, Any], user: str, client: str, password: str | None = None) -> str:
    """A fresh access token of ``user`` from the realm's ``client`` (kubernetes, minio, trino)."""
    openid = KeycloakOpenID(
        server_url=keycloak["url"],
        realm_name=keycloak["realm"],
        client_id=client,
        verify=keycloak["ca"],
        # Generous: a request given up and sent again while Keycloak still hashes the first
        # one's password is a concurrent login, which its brute-force protection refuses.
        timeout=90,
    )
    access: str = openid.token(user, password or keycloak["users"][user])["access_token"]
    return access


class StsRefused(Exception):
    """MinIO refused to issue credentials for the token."""


def sts_credentials(minio: dict[str, Any], web_token: str) -> dict[str, str]:
    """``AssumeRoleWithWebIdentity``: temporary credentials for ``web_token`` (form body, so
    the token is in no URL)."""
    response = requests.post(
        minio["url"],
        data={
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "WebIdentityToken": web_token,
        },
        timeout=15,
        verify=minio["ca"],
    )
    if response.status_code != 200:
        raise StsRefused(f"HTTP {response.status_code}: {response.text[:300]}")
    # The answer of our own stack's MinIO, not untrusted input.
    found = ET.fromstring(response.text).find(".//sts:Credentials", _STS_NS)  # noqa: S314
    assert found is not None, response.text[:300]
    return {child.tag.split("}")[1]: child.text or "" for child in found}


def sts_client(minio: dict[str, Any], credentials: dict[str, str]) -> Minio:
    """An S3 client with temporary credentials, verifying MinIO with the stack CA."""
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=30),
        cert_reqs="CERT_REQUIRED",
        ca_certs=minio["ca"],
    )
    provider = StaticProvider(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    return Minio(minio["endpoint"], credentials=provider, secure=True, http_client=http)


def member_s3(minio: dict[str, Any], keycloak: dict[str, Any], user: str) -> Minio:
    """An S3 client with ``user``'s own temporary credentials (raises StsRefused)."""
    return sts_client(minio, sts_credentials(minio, token(keycloak, user, "minio")))


def kubectl_with_token(
    kube: dict[str, Any], bearer: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """kubectl with nothing but the API server's address, its CA and a bearer token."""
    return subprocess.run(
        [
            "kubectl",
            "--kubeconfig=/dev/null",
            f"--server={kube['server']}",
            f"--certificate-authority={kube['ca']}",
            f"--token={bearer}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def keycloak_frozen(paths: StackPaths) -> Iterator[None]:
    """Keycloak stopped in place (SIGSTOP of its process group, SIGCONT after): it accepts
    connections and answers nothing, the worst kind of outage for its clients, and it is
    back at once, without a JVM's start."""
    pid = stack.load("keycloak", paths).running_pid()
    assert pid is not None, "Keycloak does not run"
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def ensure_minio_openid(paths: StackPaths) -> dict[str, Any]:
    """MinIO trusting the realm: restarted when it runs without (it reads its OpenID
    settings at start, and started before Keycloak in this session). Keycloak must run."""
    minio = stack.load("minio", paths)
    if minio.running_pid() is not None and not minio_oidc.recorded(minio.dir):
        stack.down(paths, ["minio"])
    stack.up(paths, ["minio"])
    manifest = stack.read_manifest(paths)
    assert manifest is not None
    info: dict[str, Any] = manifest["components"]["minio"]
    assert info["openid"], "MinIO started without the OpenID provider"
    return info


@dataclass
class CountingIdentity:
    """An ``IdentityProvider`` that counts the calls it passes on, by method."""

    inner: IdentityProvider
    calls: Counter[str] = field(default_factory=Counter)

    WRITES = frozenset(
        {"create_group", "set_attributes", "delete_group", "add_member", "remove_member"}
    )

    @property
    def writes(self) -> int:
        return sum(n for name, n in self.calls.items() if name in self.WRITES)

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    def group(self, path: str) -> Group | None:
        self.calls["group"] += 1
        return self.inner.group(path)

    def children(self, group: Group) -> list[Group]:
        self.calls["children"] += 1
        return self.inner.children(group)

    def create_group(self, parent: Group | None, name: str, attributes: Attributes) -> Group:
        self.calls["create_group"] += 1
        return self.inner.create_group(parent, name, attributes)

    def set_attributes(self, group: Group, attributes: Attributes) -> None:
        self.calls["set_attributes"] += 1
        self.inner.set_attributes(group, attributes)

    def delete_group(self, group: Group) -> bool:
        self.calls["delete_group"] += 1
        return self.inner.delete_group(group)

    def members(self, group: Group) -> list[GroupMember]:
        self.calls["members"] += 1
        return self.inner.members(group)

    def add_member(self, group: Group, user_id: str) -> None:
        self.calls["add_member"] += 1
        self.inner.add_member(group, user_id)

    def remove_member(self, group: Group, user_id: str) -> None:
        self.calls["remove_member"] += 1
        self.inner.remove_member(group, user_id)

    def user_id(self, username: str) -> str | None:
        self.calls["user_id"] += 1
        return self.inner.user_id(username)


def group_tree(idp: IdentityProvider, path: str) -> dict[str, tuple[str, ...]]:
    """Every group under (and including) ``path`` -> its members' usernames; {} if absent."""
    top = idp.group(path)
    if top is None:
        return {}
    tree = {}
    pending = [top]
    while pending:
        group = pending.pop()
        tree[group.path] = tuple(m.username for m in idp.members(group))
        pending.extend(idp.children(group))
    return tree


def operator_identity(keycloak: dict[str, Any]) -> KeycloakIdentity:
    """Keycloak as the operator sees it (its own service-account client)."""
    return KeycloakIdentity(
        keycloak["url"],
        keycloak["realm"],
        keycloak["operator_client_id"],
        keycloak["operator_client_secret"],
        ca_file=keycloak["ca"],
    )


def set_members(ident: IdentityStack, name: str, members: list[dict[str, str]]) -> None:
    patch = json.dumps({"spec": {"members": members}})
    done = kubectl(ident.kubeconfig, "patch", "workspace", name, "--type=merge", "-p", patch)
    assert done.returncode == 0, done.stderr


def identity_is(
    ident: IdentityStack, name: str, reason: str
) -> Callable[[], dict[str, Any] | None]:
    """A probe: the Workspace's Identity condition, for its current spec, with ``reason``."""

    def probe() -> dict[str, Any] | None:
        obj = ident.cluster.get(WORKSPACE, name)
        cond = condition(obj, "Identity")
        if obj is None or cond is None or cond["reason"] != reason:
            return None
        return cond if cond["observedGeneration"] == obj["metadata"]["generation"] else None

    return probe


def kubectl_reaches(ident: IdentityStack, user: str, namespace: str) -> bool:
    """``user``'s own fresh token lists the pods of ``namespace``."""
    done = kubectl_with_token(
        ident.kube, token(ident.keycloak, user, "kubernetes"), "get", "pods", "-n", namespace
    )
    return done.returncode == 0


def bucket_reaches(ident: IdentityStack, user: str, bucket: str) -> bool:
    """``user``'s own fresh STS credentials list ``bucket``."""
    try:
        client = member_s3(ident.minio, ident.keycloak, user)
        list(client.list_objects(bucket))
    except (StsRefused, S3Error):
        return False
    return True
