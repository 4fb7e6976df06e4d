"""Running the stack's helm, kubeconform and ct on charts/havre (helpers for the tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.tls import StackCA
from havre.peering import PEERING
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import kubectl, running_operator, service_account_kubeconfig

ROOT = Path(__file__).parents[2]
CHART = ROOT / "charts" / "havre"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
#: Kinds of the Prometheus Operator: no schema of theirs is bundled offline, so kubeconform
#: skips exactly these (every other kind, CRDs' own included, must have a schema).
SKIPPED_KINDS = ("PodMonitor", "ServiceMonitor", "PrometheusRule")


@dataclass(frozen=True)
class ChartTools:
    helm: str
    kubeconform: str
    schemas: str
    ct: str
    env: dict[str, str]

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=self.env,
            cwd=ROOT,
        )

    def helm_cmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.helm, *args)

    def template(self, release: str, *args: str, namespace: str = "havre") -> str:
        result = self.helm_cmd("template", release, str(CHART), "-n", namespace, *args)
        assert result.returncode == 0, result.stderr
        return result.stdout


def chart_tools(
    helm: dict[str, Any], kubeconform: dict[str, Any], ct: dict[str, Any]
) -> ChartTools:
    venv_bin = Path(sys.executable).parent  # yamllint and yamale for ct
    env = {
        "PATH": f"{Path(helm['helm']).parent}:{venv_bin}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        **helm["env"],
    }
    return ChartTools(
        helm=helm["helm"],
        kubeconform=kubeconform["kubeconform"],
        schemas=kubeconform["schemas"],
        ct=ct["ct"],
        env=env,
    )


def documents(rendered: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered) if d]


def settings_file(rendered: str, component: str = "operator") -> str:
    """The config.yaml of ``component`` (operator or audit) from its settings ConfigMap."""
    for doc in documents(rendered):
        labels = doc.get("metadata", {}).get("labels", {})
        if (
            doc["kind"] == "ConfigMap"
            and doc["metadata"]["name"].endswith("-settings")
            and labels.get("app.kubernetes.io/component") == component
        ):
            text: str = doc["data"]["config.yaml"]
            return text
    raise AssertionError("no settings ConfigMap rendered")


def stack_values(minio: dict[str, Any], postgres: dict[str, Any]) -> dict[str, Any]:
    """An admin's values for a release on the stack: its API (crds/) is installed already, so
    the release owns only the operator's objects; the object store and the catalog database
    are the stack's."""
    return {
        "crds": {"create": False},
        "personas": {"create": False},
        "sizeProfiles": {"create": False},
        "admissionPolicies": {"create": False},
        "objectStore": {
            "enabled": True,
            "url": minio["url"],
            "credentialsSecret": {"name": "object-store-admin"},
            "egress": {"cidr": "127.0.0.1/32", "port": 9000},
        },
        "catalogDatabase": {
            "enabled": True,
            "host": postgres["host"],
            "port": int(postgres["port"]),
            "credentialsSecret": {"name": "catalog-database-admin"},
            "egress": {"cidr": "127.0.0.1/32", "port": 5432},
        },
    }


def stack_credentials(minio: dict[str, Any], postgres: dict[str, Any]) -> dict[str, str]:
    """What the chart's Deployment passes the operator from the credential Secrets, for an
    operator run as a process on this machine (CA bundles at this machine's paths)."""
    return {
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "HAVRE_CATALOG_USER": postgres["user"],
        "HAVRE_CATALOG_PASSWORD": postgres["password"],
        "HAVRE_CATALOG_CA_FILE": postgres["ca"],
    }


@dataclass(frozen=True)
class Release:
    """The chart's objects on the stack but for its Deployment (its pods would need the
    node): the operator runs as a process with the release's account and settings file."""

    name: str
    namespace: str
    admin_kubeconfig: str
    #: What was applied: every rendered object but the Deployment.
    rendered: list[dict[str, Any]]
    #: The operator's settings file, from the release's settings ConfigMap.
    config: Path

    def account_kubeconfig(self, path: Path) -> str:
        """A kubeconfig with a token of the release's ServiceAccount."""
        return service_account_kubeconfig(self.admin_kubeconfig, path, self.namespace, self.name)

    def operator_env(self, minio: dict[str, Any], postgres: dict[str, Any]) -> dict[str, str]:
        """The operator's environment as the Deployment sets it: the settings file and the
        Secrets' values; CA bundles at this machine's paths."""
        return {"HAVRE_CONFIG": str(self.config), **stack_credentials(minio, postgres)}


@contextmanager
def installed_release(
    request: pytest.FixtureRequest,
    kube: Kube,
    platform: Platform,
    tmp: Path,
    *,
    name: str,
    namespace: str,
    values: dict[str, Any],
    platform_ca: StackCA | None = None,
) -> Iterator[Release]:
    """The chart rendered with ``values`` and installed as ``name`` in a new ``namespace``
    (with the platform CA as its Secret ``havre-platform-ca`` if given), the session's
    operator stopped meanwhile so that only the release's operators act; all of it removed,
    and the session's operator started again, on the way out."""
    k = kube.kubeconfig
    session_operator = running_operator(request)
    if session_operator is not None:
        session_operator.stop()
    stream = ""
    try:
        tools = chart_tools(platform("helm"), platform("kubeconform"), platform("ct"))
        values_file = tmp / "values.yaml"
        values_file.write_text(yaml.safe_dump(values))
        text = tools.template(name, "-f", str(values_file), namespace=namespace)
        rendered = [d for d in documents(text) if d["kind"] != "Deployment"]
        stream = yaml.safe_dump_all(rendered)
        # The peering object is created by the operator at start (a left-over would hide that).
        _delete_peering(k, name)
        made = kubectl(k, "create", "namespace", namespace)
        assert made.returncode == 0, made.stderr
        if platform_ca is not None:
            made = kubectl(
                k, "-n", namespace, "create", "secret", "tls", "havre-platform-ca",
                f"--cert={platform_ca.cert_path}", f"--key={platform_ca.key_path}",
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
        applied = kubectl(k, "apply", "--server-side", "-f", "-", stdin=stream)
        assert applied.returncode == 0, applied.stderr
        config = tmp / "config.yaml"
        config.write_text(settings_file(text))
        yield Release(name, namespace, k, rendered, config)
    finally:
        if stream:
            kubectl(k, "delete", "--ignore-not-found", "-f", "-", stdin=stream)
        kubectl(k, "delete", "namespace", namespace, "--wait=false")
        _delete_peering(k, name)
        if session_operator is not None:
            session_operator.start()


def _delete_peering(kubeconfig: str, name: str) -> None:
    kubectl(kubeconfig, "delete", f"{PEERING.plural}.kopf.dev", name, "--ignore-not-found")
