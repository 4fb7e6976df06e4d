"""What Havre needs on the local platform: its API installed, the platform CA as a Secret,
and the operator's settings pointing at the stack's components. Shared by the tests and
the demo, so both run the operator exactly the same way."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.errors import ComponentError
from devstack.paths import REPO_ROOT
from devstack.tls import StackCA


def kubectl(kubeconfig: str, *args: str, stdin: str | None = None) -> str:
    """Run kubectl; its output, or a ComponentError with what it said."""
    result = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ComponentError("havre", f"kubectl {' '.join(args[:3])}: {result.stderr.strip()}")
    return result.stdout


def install_api(kubeconfig: str, state: Path) -> None:
    """CRDs, personas, admission policies and operator identity from ``crds/``, then the
    default size profiles (``crds/defaults``, once their kind is established); the stack's CA
    as the Secret havre-system/havre-platform-ca that signs workspaces' Trino certificates."""
    kubectl(kubeconfig, "apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
    for crd in ("workspaces", "datasets", "datasetgrants", "sizeprofiles"):
        kubectl(kubeconfig, "wait", "--for=condition=Established", f"crd/{crd}.havre.io")
    kubectl(kubeconfig, "apply", "--server-side", "-f", str(REPO_ROOT / "crds" / "defaults"))
    _wait_for_admission(kubeconfig)
    ca = StackCA(state)
    ca.ensure()
    secret = kubectl(
        kubeconfig,
        "create",
        "secret",
        "tls",
        "havre-platform-ca",
        "-n",
        "havre-system",
        f"--cert={ca.cert_path}",
        f"--key={ca.key_path}",
        "--dry-run=client",
        "-o",
        "yaml",
    )
    kubectl(kubeconfig, "apply", "-f", "-", stdin=secret)


#: What the API server says while a ValidatingAdmissionPolicy's parameter kind (a CRD just
#: installed) is not yet known to its informers: every request the policy matches is refused.
_NOT_CONFIGURED = ("failed to configure policy", "failed to find resource referenced by paramKind")


def _wait_for_admission(kubeconfig: str, timeout: float = 60.0) -> None:
    """Until the admission policies that take Havre's own kinds as parameters are configured
    (a few seconds after the CRDs), probed by a server-side dry run of a valid grant."""
    probe = json.dumps(
        {
            "apiVersion": "havre.io/v1alpha1",
            "kind": "DatasetGrant",
            "metadata": {"name": "havre-admission-probe"},
            "spec": {
                "workspace": "havre-admission-probe",
                "dataset": "havre-admission-probe",
                "legalBasis": "MR-004",
                "expires": "2030-01-01T00:00:00Z",
            },
        }
    )
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(
            ["kubectl", "--kubeconfig", kubeconfig, "create", "--dry-run=server", "-f", "-"],
            input=probe,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if not any(text in result.stderr for text in _NOT_CONFIGURED):
            return
        if time.monotonic() > deadline:
            raise ComponentError("havre", f"admission policies not configured: {result.stderr}")
        time.sleep(0.5)


def storage_and_catalog_environment(
    minio: dict[str, Any], postgres: dict[str, Any]
) -> dict[str, str]:
    """The operator's settings for the stack's object store and catalog database only (TLS
    verified): ``operator_environment`` without identity provider, Trino or audit."""
    return {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "HAVRE_CATALOG_HOST": postgres["host"],
        "HAVRE_CATALOG_PORT": str(postgres["port"]),
        "HAVRE_CATALOG_USER": postgres["user"],
        "HAVRE_CATALOG_PASSWORD": postgres["password"],
        "HAVRE_CATALOG_SSLMODE": "verify-full",
        "HAVRE_CATALOG_CA_FILE": postgres["ca"],
    }


def operator_environment(components: dict[str, Any]) -> dict[str, str]:
    """The operator's settings for this stack. Trino's certificates also name localhost,
    where the tests and the demo reach the coordinator through a port-forward.

    With a node (``components["node"]``), workspaces' Trino runs as pods from the node's
    own Trino image, reaches MinIO, PostgreSQL and Keycloak at the machine's address on the
    node's link, and the rendered egress NetworkPolicies allow exactly those endpoints.
    With the ``audit`` component, workspaces' Trino and the operator send records to its
    receiver (docs/audit.md).
    """
    minio, postgres, keycloak = components["minio"], components["postgres"], components["keycloak"]
    env = {
        **storage_and_catalog_environment(minio, postgres),
        "HAVRE_TRINO_ISSUER": keycloak["issuer"],
        "HAVRE_TRINO_JWKS_URL": keycloak["jwks_uri"],
        "HAVRE_TRINO_CA_BUNDLE_FILE": keycloak["ca"],
        "HAVRE_TRINO_EXTRA_DNS_NAMES": "localhost",
        "HAVRE_IDENTITY_URL": keycloak["url"],
        "HAVRE_IDENTITY_REALM": keycloak["realm"],
        "HAVRE_IDENTITY_CLIENT_ID": keycloak["operator_client_id"],
        "HAVRE_IDENTITY_CLIENT_SECRET": keycloak["operator_client_secret"],
        "HAVRE_IDENTITY_CA_FILE": keycloak["ca"],
        # Unchanged workspaces are re-read from Keycloak this often (drift repair).
        "HAVRE_IDENTITY_RESYNC_SECONDS": "10",
    }
    audit = components.get("audit")
    if audit is not None:
        env |= {
            "HAVRE_AUDIT_RECEIVER_URL": audit["url"],
            "HAVRE_AUDIT_KEY": audit["key"],
            "HAVRE_AUDIT_CA_FILE": audit["ca"],
            "HAVRE_AUDIT_BUCKET": audit["bucket"],
        }
    node = components.get("node")
    if node is not None:
        seen = node["platform"]
        jwks = urlsplit(keycloak["jwks_uri"])
        env |= {
            "HAVRE_TRINO_IMAGE": node["images"]["trino"],
            "HAVRE_OBJECT_STORE": seen["object_store"],
            "HAVRE_CATALOG_DATABASE": seen["catalog_database"],
            "HAVRE_IDENTITY_PROVIDER": seen["identity_provider"],
            "HAVRE_TRINO_OBJECT_STORE_URL": seen["minio_url"],
            "HAVRE_TRINO_CATALOG_HOST": seen["postgres_host"],
            "HAVRE_TRINO_CATALOG_PORT": str(seen["postgres_port"]),
            # Same path, at the address pods reach Keycloak; tokens keep their issuer.
            "HAVRE_TRINO_JWKS_URL": seen["keycloak_url"] + jwks.path,
            # The stack's Prometheus scrapes each coordinator's /metrics from the machine,
            # whose packets reach pods from its end of the node's link.
            "HAVRE_METRICS_TRINO_SCRAPER_CIDR": f"{node['host_address']}/32",
        }
        if audit is not None:
            # Trino pods send events to the receiver at the node's link, the operator on
            # loopback; the egress NetworkPolicy opens exactly that endpoint.
            env |= {
                "HAVRE_AUDIT_RECEIVER_URL": seen["audit_url"],
                "HAVRE_AUDIT_OPERATOR_URL": audit["url"],
                "HAVRE_AUDIT_RECEIVER": seen["audit_receiver"],
            }
    return env


def install_alert_rules(prometheus: dict[str, Any]) -> list[Path]:
    """Havre's alert rules (``charts/havre/files/rules``) into the stack's Prometheus, which
    then reloads: the local platform evaluates exactly what the chart ships."""
    rules_dir = Path(prometheus["rules_dir"])
    rules_dir.mkdir(parents=True, exist_ok=True)
    installed = []
    for source in sorted((REPO_ROOT / "charts" / "havre" / "files" / "rules").glob("*.yaml")):
        target = rules_dir / source.name
        target.write_text(source.read_text())
        installed.append(target)
    request = urllib.request.Request(f"{prometheus['url']}/-/reload", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback URL
        if resp.status != 200:
            raise ComponentError("prometheus", f"reload answered {resp.status}")
    return installed
