"""The devstack's Kubernetes control plane behaves like a real cluster's control plane."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from devstack import process, stack
from devstack.paths import StackPaths
from tests.integration.conftest import Platform

pytestmark = pytest.mark.integration

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture(scope="module")
def kube(platform: Platform) -> dict[str, Any]:
    return platform("kube")


def api_client(kubeconfig: str) -> client.ApiClient:
    """An API client authenticated by ``kubeconfig``."""
    # Annotated: the kubernetes package leaves its config loaders untyped.
    api: client.ApiClient = config.new_client_from_config(config_file=kubeconfig)
    return api


def name_of(obj: Any) -> str:
    """The metadata.name of an API object."""
    meta: client.V1ObjectMeta | None = obj.metadata
    assert meta is not None and meta.name is not None
    return meta.name


@pytest.fixture(scope="module")
def core(kube: dict[str, Any]) -> client.CoreV1Api:
    return client.CoreV1Api(api_client(kube["kubeconfig"]))


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def eventually(check: Callable[[], bool], timeout: float = 60.0) -> bool:
    """True as soon as ``check`` holds; False when it still does not after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def gone(read: Callable[[], object]) -> Callable[[], bool]:
    """A check that holds once ``read`` answers 404."""

    def check() -> bool:
        try:
            read()
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    return check


def configmap(name: str, owner: client.V1ConfigMap | None = None) -> client.V1ConfigMap:
    refs = None
    if owner is not None:
        assert owner.metadata is not None and owner.metadata.uid is not None
        ref = client.V1OwnerReference(
            api_version="v1", kind="ConfigMap", name=name_of(owner), uid=owner.metadata.uid
        )
        refs = [ref]
    meta = client.V1ObjectMeta(name=name, owner_references=refs)
    return client.V1ConfigMap(metadata=meta, data={"k": "v"})


def test_configmap_created_in_new_namespace_is_listed(
    core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_config_map(namespace, configmap("settings"))
    listed = core.list_namespaced_config_map(namespace)
    by_name = {name_of(cm): cm for cm in listed.items}
    assert by_name["settings"].data == {"k": "v"}


def test_user_without_bindings_cannot_list_secrets(kube: dict[str, Any]) -> None:
    argv = [KUBECTL, "--kubeconfig", kube["kubeconfig"], "auth", "can-i", "list", "secrets"]
    can_i = subprocess.run(
        [*argv, "--namespace", "default", "--as", "nobody"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert can_i.stdout.strip() == "no", can_i.stderr
    core = client.CoreV1Api(api_client(kube["kubeconfig"]))
    with pytest.raises(ApiException) as denied:
        core.list_namespaced_secret("default", _headers={"Impersonate-User": "nobody"})
    assert denied.value.status == 403


def test_deleted_namespace_is_finalized_and_disappears(core: client.CoreV1Api) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(name, configmap("content"))
    core.delete_namespace(name)
    assert eventually(gone(lambda: core.read_namespace(name))), "namespace still present"


def test_child_configmap_is_garbage_collected_after_its_owner(
    core: client.CoreV1Api, namespace: str
) -> None:
    owner = core.create_namespaced_config_map(namespace, configmap("owner"))
    core.create_namespaced_config_map(namespace, configmap("child", owner=owner))
    core.delete_namespaced_config_map("owner", namespace)
    read_child = lambda: core.read_namespaced_config_map("child", namespace)  # noqa: E731
    assert eventually(gone(read_child)), "child ConfigMap outlived its owner"


def test_resource_quota_counts_configmaps_and_refuses_one_too_many(
    core: client.CoreV1Api, namespace: str
) -> None:
    def names() -> list[str]:
        return [name_of(cm) for cm in core.list_namespaced_config_map(namespace).items]

    # The controller manager publishes the cluster CA as a ConfigMap in every namespace.
    assert eventually(lambda: "kube-root-ca.crt" in names()), "kube-root-ca.crt never published"
    quota = client.V1ResourceQuota(
        metadata=client.V1ObjectMeta(name="cm-quota"),
        spec=client.V1ResourceQuotaSpec(hard={"configmaps": "3"}),
    )
    core.create_namespaced_resource_quota(namespace, quota)

    def used() -> str | None:
        status = core.read_namespaced_resource_quota("cm-quota", namespace).status
        return (status.used or {}).get("configmaps") if status else None

    # Until the quota controller has computed the usage, admission cannot account for creations.
    assert eventually(lambda: used() == "1"), f"status.used.configmaps is {used()!r}"
    for name in ("one", "two"):
        core.create_namespaced_config_map(namespace, configmap(name))
    assert eventually(lambda: used() == "3"), f"status.used.configmaps is {used()!r}"
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_config_map(namespace, configmap("three"))
    assert refused.value.status == 403
    assert "exceeded quota" in str(refused.value.body)
    assert "three" not in names()


def test_second_control_plane_runs_beside_the_first(
    kube: dict[str, Any], core: client.CoreV1Api, tmp_path: Path
) -> None:
    paths = StackPaths(state=tmp_path, port_offset=1000)
    try:
        stack.up(paths, ["kube"])
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        second = manifest["components"]["kube"]
        assert second["server"] != kube["server"]
        other = client.CoreV1Api(api_client(second["kubeconfig"]))
        other.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="only-here")))
        assert name_of(other.read_namespace("only-here")) == "only-here"
        assert gone(lambda: core.read_namespace("only-here"))(), "the stacks share their data"
    finally:
        leftovers = stack.down(paths)
    assert leftovers == []
    assert process.marked_pids(tmp_path) == []
    assert name_of(core.read_namespace("default")) == "default"
