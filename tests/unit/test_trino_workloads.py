"""The Trino Deployments, Services and ConfigMaps: golden, restricted pods sized from the
workspace, Secrets only referenced, and a checksum that rolls exactly the pods it should."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from havre.api.model import Member, Role
from havre.pipeline.render.trino_truststore import java_truststore
from havre.pipeline.render.trino_workloads import (
    CHECKSUM_ANNOTATION,
    render_trino,
    render_trino_config_maps,
)
from havre.pipeline.validate import ValidWorkspace
from tests.unit.conftest import assert_golden
from tests.unit.trino_fixtures import COHORT, PLATFORM, SNDS, TEST_CA


def by_name(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects}


def checksum(objects: list[dict[str, Any]], deployment: str) -> str:
    annotations = by_name(objects)[deployment]["spec"]["template"]["metadata"]["annotations"]
    return str(annotations[CHECKSUM_ANNOTATION])


def pod(objects: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    spec: dict[str, Any] = by_name(objects)[deployment]["spec"]["template"]["spec"]
    return spec


def test_trino_objects_match_golden(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [SNDS], PLATFORM)
    assert_golden("trino-config-maps", [o for o in objects if o["kind"] == "ConfigMap"])
    assert_golden("trino-workloads", [o for o in objects if o["kind"] != "ConfigMap"])


def test_worker_replicas_and_resources_follow_the_workspace_size(cardio: ValidWorkspace) -> None:
    objects = by_name(render_trino(cardio, [], PLATFORM))
    assert objects["trino-worker"]["spec"]["replicas"] == 2
    assert objects["trino-coordinator"]["spec"]["replicas"] == 1
    for name in ("trino-coordinator", "trino-worker"):
        (container,) = objects[name]["spec"]["template"]["spec"]["containers"]
        assert container["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
        assert container["resources"]["requests"] == container["resources"]["limits"]


def test_pods_meet_the_restricted_pod_security_standard(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [], PLATFORM)
    for name in ("trino-coordinator", "trino-worker"):
        spec = pod(objects, name)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        }
        writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
        assert writable == {"/data/trino", "/tmp"}
        # Ready only once Trino says it has started (its image's check), alive while it answers.
        for probe in ("startupProbe", "readinessProbe"):
            assert container[probe]["exec"] == {"command": ["/usr/lib/trino/bin/health-check"]}
        assert container["livenessProbe"]["httpGet"] == {
            "path": "/v1/info",
            "port": 8443,
            "scheme": "HTTPS",
        }


def test_only_the_coordinator_holds_the_tls_key(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [], PLATFORM)
    secrets = {
        name: {v["secret"]["secretName"] for v in pod(objects, name)["volumes"] if "secret" in v}
        for name in ("trino-coordinator", "trino-worker")
    }
    assert secrets == {
        "trino-coordinator": {"havre-trino-tls"},
        "trino-worker": {"havre-trino-internal"},
    }
    (internal,) = [v for v in pod(objects, "trino-worker")["volumes"] if v["name"] == "internal"]
    assert internal["secret"]["items"] == [{"key": "shutdown-header", "path": "shutdown-header"}]


def test_credentials_come_from_secrets_never_from_config_maps(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [SNDS], PLATFORM)
    (container,) = pod(objects, "trino-worker")["containers"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]}
    assert refs == {
        "TRINO_SHARED_SECRET": "havre-trino-internal",
        "AWS_ACCESS_KEY_ID": "havre-storage",
        "AWS_SECRET_ACCESS_KEY": "havre-storage",
        "CATALOG_DB_USER": "havre-catalog",
        "CATALOG_DB_PASSWORD": "havre-catalog",
    }
    assert not [o for o in objects if o["kind"] == "Secret"]


def test_workers_drain_before_they_stop(cardio: ValidWorkspace) -> None:
    spec = pod(render_trino(cardio, [], PLATFORM), "trino-worker")
    assert spec["terminationGracePeriodSeconds"] == 600
    command = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "curl"
    assert command[-1] == "https://localhost:8443/v1/info/state"


def test_every_config_map_key_is_mounted(cardio: ValidWorkspace) -> None:
    objects = render_trino(cardio, [SNDS], PLATFORM)
    data = {
        cm["metadata"]["name"]: {**cm["data"], **cm.get("binaryData", {})}
        for cm in render_trino_config_maps(cardio, [SNDS], PLATFORM)
    }
    mounted: dict[str, set[str]] = {}
    for name in ("trino-coordinator", "trino-worker"):
        (etc,) = [v for v in pod(objects, name)["volumes"] if v["name"] == "etc"]
        for source in etc["projected"]["sources"]:
            keys = {item["key"] for item in source["configMap"]["items"]}
            mounted.setdefault(source["configMap"]["name"], set()).update(keys)
    assert mounted == {name: set(files) for name, files in data.items()}


def test_member_change_rewrites_the_group_file_and_rolls_no_pod(cardio: ValidWorkspace) -> None:
    before = render_trino(cardio, [SNDS], PLATFORM)
    members = (*cardio.members, Member(user="dave", role=Role.ANALYST))
    after = render_trino(dataclasses.replace(cardio, members=members), [SNDS], PLATFORM)
    groups = [
        o["data"]["group.txt"] for o in (*before, *after) if o["metadata"]["name"] == "trino-access"
    ]
    assert groups[0] != groups[1] and "dave" in groups[1]
    for name in ("trino-coordinator", "trino-worker"):
        assert checksum(before, name) == checksum(after, name)


def test_new_grant_rolls_every_node(cardio: ValidWorkspace) -> None:
    before = render_trino(cardio, [SNDS], PLATFORM)
    after = render_trino(cardio, [SNDS, COHORT], PLATFORM)
    for name in ("trino-coordinator", "trino-worker"):
        assert checksum(before, name) != checksum(after, name)


def test_same_input_renders_the_same_checksum(cardio: ValidWorkspace) -> None:
    assert render_trino(cardio, [SNDS, COHORT], PLATFORM) == render_trino(
        cardio, [COHORT, SNDS], PLATFORM
    )


def test_discovery_service_resolves_to_the_coordinator_pod(cardio: ValidWorkspace) -> None:
    services = by_name(render_trino(cardio, [], PLATFORM))
    assert services["trino-discovery"]["spec"]["clusterIP"] == "None"
    for name in ("trino", "trino-discovery"):
        assert services[name]["spec"]["selector"] == {
            "app.kubernetes.io/name": "trino",
            "app.kubernetes.io/component": "coordinator",
        }


def test_with_a_platform_ca_the_jvm_trusts_it_for_the_object_store(cardio: ValidWorkspace) -> None:
    maps = {m["metadata"]["name"]: m for m in render_trino_config_maps(cardio, [], PLATFORM)}
    trust = maps["trino-trust"]
    store = base64.b64decode(trust["binaryData"]["truststore.jks"])
    assert store == java_truststore(TEST_CA)
    jvm = maps["trino-worker-config"]["data"]["jvm.config"].splitlines()
    assert "-Djavax.net.ssl.trustStore=/etc/trino/trust/truststore.jks" in jvm
    assert "-Djavax.net.ssl.trustStoreType=JKS" in jvm
