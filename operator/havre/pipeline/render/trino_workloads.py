"""The Kubernetes objects that run a workspace's Trino: ConfigMaps, Deployments, Services.

Secrets are only referenced here, never rendered with values: the operator creates them
(random ones if absent, so a reconcile never rotates them) and the pods read them as
environment variables or files. Each Deployment's pod template carries a checksum of the
files it mounts, so a configuration change rolls exactly the pods that read it: a new
grant rolls every node; a change of members rolls nothing (the coordinator reloads its
group file, see ``RELOADED_FILES``).

The workspace certificate (Secret ``havre-trino-tls``, key ``tls-combined.pem``) is either
issued by the operator from a platform CA Secret, or by cert-manager from a Certificate with
``additionalOutputFormats: [{type: CombinedPEM}]``, which writes that same key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from havre.api import names
from havre.pipeline.render import trino_config as cfg
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET, render_secret
from havre.pipeline.render.trino_access import (
    GrantedCatalog,
    render_access_rules_json,
    render_group_file,
    render_worker_access_rules,
)
from havre.pipeline.render.trino_config import TrinoPlatform
from havre.pipeline.render.trino_internal import internal_bearer_header
from havre.pipeline.render.trino_truststore import java_truststore
from havre.pipeline.validate import ValidWorkspace

TLS_SECRET = "havre-trino-tls"  # noqa: S105 - a Secret name
INTERNAL_SECRET = "havre-trino-internal"  # noqa: S105 - a Secret name
INTERNAL_SECRET_KEY = "shared-secret"  # noqa: S105 - a key name
#: The workspace's audit credential (docs/audit.md), read by the coordinator only.
AUDIT_SECRET = "havre-audit"  # noqa: S105 - a Secret name
AUDIT_SECRET_KEY = "token"  # noqa: S105 - a key name
#: The internal-bearer header a worker's preStop hook sends (see trino_internal).
SHUTDOWN_HEADER_KEY = "shutdown-header"
INTERNAL_DIR = "/etc/trino-internal"
COORDINATOR = "coordinator"
WORKER = "worker"
CLIENT_SERVICE = "trino"
CHECKSUM_ANNOTATION = "havre.io/config-checksum"
#: Files a running Trino reloads (the group file, every ``file.refresh-period``): a change of
#: members alone restarts nothing.
RELOADED_FILES = frozenset({cfg.GROUP_FILE})
TRINO_UID = 1000  # the ``trino`` user of the trinodb/trino image
#: ConfigMap -> directory under /etc/trino, for each component ("" is /etc/trino itself).
MOUNTS: dict[str, dict[str, str]] = {
    COORDINATOR: {
        "trino-coordinator-config": "",
        "trino-catalogs": "catalog",
        "trino-access": "access",
    },
    WORKER: {
        "trino-worker-config": "",
        "trino-catalogs": "catalog",
        "trino-worker-access": "access",
    },
}
TRUST_CONFIG_MAP = "trino-trust"
#: The check Trino's image ships (its Docker HEALTHCHECK): /v1/info answers and says the
#: server has finished starting. An HTTP probe of /v1/info passes while Trino still
#: refuses queries ("SERVER_STARTING_UP"), which would make the engine look available.
HEALTH_CHECK = "/usr/lib/trino/bin/health-check"


def labels(component: str) -> dict[str, str]:
    """Pod labels of a Trino component (network.py selects the coordinator by them)."""
    return {"app.kubernetes.io/name": "trino", "app.kubernetes.io/component": component}


def _metadata(ws: ValidWorkspace, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": names.namespace(ws.name)}


def _config_map(ws: ValidWorkspace, name: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(ws, name), "data": data}


def render_trino_config_maps(
    ws: ValidWorkspace, grants: Iterable[GrantedCatalog], platform: TrinoPlatform
) -> list[dict[str, Any]]:
    """Every configuration file of the coordinator and the workers, grouped by who reads
    them; nothing secret (credentials are ``${ENV:...}`` references)."""
    grants = tuple(grants)
    access = cfg.render_access_control_properties(f"{cfg.ACCESS_DIR}/{cfg.RULES_FILE}")
    common = {
        "node.properties": cfg.render_node_properties(ws),
        "jvm.config": cfg.render_jvm_config(ws, platform),
        "log.properties": cfg.render_log_properties(),
        "access-control.properties": access,
    }
    worker_rules = json.dumps(render_worker_access_rules(), indent=2) + "\n"
    coordinator = {
        **common,
        "config.properties": cfg.render_coordinator_config(ws, platform),
        "group-provider.properties": cfg.render_group_provider_properties(),
    }
    if platform.audit_url is not None:
        coordinator[cfg.EVENT_LISTENER_FILE] = cfg.render_event_listener_properties(platform)
    maps = [
        _config_map(ws, "trino-coordinator-config", coordinator),
        _config_map(
            ws,
            "trino-worker-config",
            {**common, "config.properties": cfg.render_worker_config(ws, platform)},
        ),
        _config_map(ws, "trino-catalogs", cfg.render_catalogs(ws, grants, platform)),
        _config_map(
            ws,
            "trino-access",
            {
                cfg.RULES_FILE: render_access_rules_json(grants, platform.metrics_user),
                cfg.GROUP_FILE: render_group_file(ws),
            },
        ),
        _config_map(ws, "trino-worker-access", {cfg.RULES_FILE: worker_rules}),
    ]
    if platform.ca_bundle is not None:
        trust = _config_map(ws, TRUST_CONFIG_MAP, {cfg.CA_BUNDLE_FILE: platform.ca_bundle})
        store = base64.b64encode(java_truststore(platform.ca_bundle)).decode()
        trust["binaryData"] = {cfg.TRUSTSTORE_FILE: store}
        maps.append(trust)
    return maps


def mounted_config_maps(component: str, platform: TrinoPlatform) -> dict[str, str]:
    """ConfigMap name -> directory under /etc/trino, of what ``component`` reads."""
    mounted = dict(MOUNTS[component])
    if platform.ca_bundle is not None:
        mounted[TRUST_CONFIG_MAP] = "trust"
    return mounted


def config_checksum(config_maps: Iterable[Mapping[str, Any]], mounted: Iterable[str]) -> str:
    """SHA-256 over the files of the named ConfigMaps (text or binary), independent of dict
    order, leaving out the files Trino reloads by itself (``RELOADED_FILES``): only a change
    that needs a restart rolls the pods."""
    by_name = {cm["metadata"]["name"]: _files(cm) for cm in config_maps}
    relevant = {
        name: {k: v for k, v in by_name[name].items() if k not in RELOADED_FILES}
        for name in sorted(mounted)
    }
    canonical = json.dumps(relevant, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _files(config_map: Mapping[str, Any]) -> dict[str, str]:
    """Every file of a ConfigMap, text or binary (base64), by key."""
    return {**config_map.get("data", {}), **config_map.get("binaryData", {})}


def _projected_etc(config_maps: list[dict[str, Any]], mounted: Mapping[str, str]) -> dict[str, Any]:
    # One projected volume: nested mounts inside a read-only ConfigMap volume are unreliable.
    data = {cm["metadata"]["name"]: _files(cm) for cm in config_maps}
    sources = []
    for name, directory in mounted.items():
        items = [
            {"key": key, "path": f"{directory}/{key}" if directory else key}
            for key in sorted(data[name])
        ]
        sources.append({"configMap": {"name": name, "items": items}})
    return {"name": "etc", "projected": {"defaultMode": 0o444, "sources": sources}}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _env(component: str, platform: TrinoPlatform) -> list[dict[str, Any]]:
    env = [
        _secret_env(cfg.ENV_SHARED_SECRET, INTERNAL_SECRET, INTERNAL_SECRET_KEY),
        _secret_env(cfg.ENV_S3_ACCESS_KEY, STORAGE_SECRET, "AWS_ACCESS_KEY_ID"),
        _secret_env(cfg.ENV_S3_SECRET_KEY, STORAGE_SECRET, "AWS_SECRET_ACCESS_KEY"),
        _secret_env(cfg.ENV_DB_USER, CATALOG_SECRET, "PGUSER"),
        _secret_env(cfg.ENV_DB_PASSWORD, CATALOG_SECRET, "PGPASSWORD"),
    ]
    if component == COORDINATOR and platform.audit_url is not None:
        env.append(_secret_env(cfg.ENV_AUDIT_TOKEN, AUDIT_SECRET, AUDIT_SECRET_KEY))
    return env


def _probe(platform: TrinoPlatform, period: int, failures: int) -> dict[str, Any]:
    """Liveness: the server answers. /v1/info needs no sign-in; the kubelet does not
    verify the certificate."""
    return {
        "httpGet": {"path": "/v1/info", "port": platform.port, "scheme": "HTTPS"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _started_probe(period: int, failures: int) -> dict[str, Any]:
    """Startup and readiness: the server has started and takes queries."""
    return {
        "exec": {"command": [HEALTH_CHECK]},
        "periodSeconds": period,
        "timeoutSeconds": 10,
        "failureThreshold": failures,
    }


def render_internal_secret(workspace: str, shared_secret: str) -> dict[str, Any]:
    """The nodes' shared secret, and the internal-bearer header derived from it that alone
    may shut a worker down (no header naming a user can)."""
    return render_secret(
        workspace,
        INTERNAL_SECRET,
        {
            INTERNAL_SECRET_KEY: shared_secret,
            SHUTDOWN_HEADER_KEY: internal_bearer_header(shared_secret, cfg.SHUTDOWN_USER),
        },
    )


def _shutdown_hook(platform: TrinoPlatform) -> dict[str, Any]:
    """preStop: ask the worker to drain (Trino has no SIGTERM handler) before it is stopped,
    authenticated as an internal request (the header file holds the bearer token)."""
    # Loopback inside the pod, to the worker's own internally issued certificate: -k is safe.
    flags = "--silent --show-error --fail -k -X PUT -H Content-Type:application/json"
    command = ["curl", *flags.split(), "-H", f"@{INTERNAL_DIR}/{SHUTDOWN_HEADER_KEY}"]
    command += ["-d", '"SHUTTING_DOWN"', f"https://localhost:{platform.port}/v1/info/state"]
    return {"preStop": {"exec": {"command": command}}}


def _container(ws: ValidWorkspace, component: str, platform: TrinoPlatform) -> dict[str, Any]:
    size = {"cpu": ws.size.cpu, "memory": ws.size.memory}
    container: dict[str, Any] = {
        "name": "trino",
        "image": platform.image,
        "ports": [{"name": "https", "containerPort": platform.port, "protocol": "TCP"}],
        "env": _env(component, platform),
        "resources": {"requests": size, "limits": dict(size)},
        "volumeMounts": [
            {"name": "etc", "mountPath": cfg.ETC_DIR, "readOnly": True},
            {"name": "data", "mountPath": cfg.DATA_DIR},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - a private emptyDir
        ],
        "startupProbe": _started_probe(period=5, failures=120),
        "readinessProbe": _started_probe(period=10, failures=3),
        "livenessProbe": _probe(platform, period=20, failures=3),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if component == COORDINATOR:
        # Only the coordinator faces clients; workers use certificates derived per node.
        container["volumeMounts"].insert(
            1, {"name": "tls", "mountPath": cfg.TLS_DIR, "readOnly": True}
        )
    else:
        container["volumeMounts"].insert(
            1, {"name": "internal", "mountPath": INTERNAL_DIR, "readOnly": True}
        )
        container["lifecycle"] = _shutdown_hook(platform)
    return container


def _replicas(ws: ValidWorkspace, component: str) -> int:
    """No query engine runs while the workspace is suspended or expired; data is kept."""
    if ws.spec.suspended or ws.expired:
        return 0
    return 1 if component == COORDINATOR else ws.size.workers


def _deployment(
    ws: ValidWorkspace,
    component: str,
    platform: TrinoPlatform,
    config_maps: list[dict[str, Any]],
) -> dict[str, Any]:
    mounted = mounted_config_maps(component, platform)
    volumes = [
        _projected_etc(config_maps, mounted),
        {"name": "data", "emptyDir": {}},
        # JVM temp files and native libraries; bounded so a node's disk cannot fill up.
        {"name": "tmp", "emptyDir": {"sizeLimit": ws.size.memory}},
    ]
    if component == COORDINATOR:
        volumes.append({"name": "tls", "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}})
    else:
        shutdown = [{"key": SHUTDOWN_HEADER_KEY, "path": SHUTDOWN_HEADER_KEY}]
        volumes.append(
            {
                "name": "internal",
                "secret": {"secretName": INTERNAL_SECRET, "items": shutdown, "defaultMode": 0o440},
            }
        )
    pod_spec: dict[str, Any] = {
        "serviceAccountName": "trino",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": TRINO_UID,
            "runAsGroup": TRINO_UID,
            "fsGroup": TRINO_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(ws, component, platform)],
        "volumes": volumes,
    }
    if component == WORKER:
        pod_spec["terminationGracePeriodSeconds"] = platform.worker_termination_grace_seconds
    spec: dict[str, Any] = {
        "replicas": _replicas(ws, component),
        "selector": {"matchLabels": labels(component)},
        "template": {
            "metadata": {
                "labels": labels(component),
                "annotations": {CHECKSUM_ANNOTATION: config_checksum(config_maps, mounted)},
            },
            "spec": pod_spec,
        },
    }
    if component == COORDINATOR:
        # Two coordinators at once would split the workers between them.
        spec["strategy"] = {"type": "Recreate"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {**_metadata(ws, f"trino-{component}"), "labels": labels(component)},
        "spec": spec,
    }


def _service(ws: ValidWorkspace, name: str, platform: TrinoPlatform) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": labels(COORDINATOR),
        "ports": [{"name": "https", "port": platform.port, "targetPort": "https"}],
    }
    if name == cfg.DISCOVERY_SERVICE:
        # Headless: the name resolves to the coordinator pod's IP, the address its
        # internal certificate is issued for; published before the pod is ready.
        spec |= {"clusterIP": "None", "publishNotReadyAddresses": True}
    return {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(ws, name), "spec": spec}


def render_trino(
    ws: ValidWorkspace, grants: Iterable[GrantedCatalog], platform: TrinoPlatform
) -> list[dict[str, Any]]:
    """ConfigMaps, then the Services and the coordinator and worker Deployments."""
    config_maps = render_trino_config_maps(ws, grants, platform)
    return [
        *config_maps,
        _service(ws, CLIENT_SERVICE, platform),
        _service(ws, cfg.DISCOVERY_SERVICE, platform),
        _deployment(ws, COORDINATOR, platform, config_maps),
        _deployment(ws, WORKER, platform, config_maps),
    ]
