"""``make demo``: the whole platform on this machine, ending with a researcher's query.

1. the local platform (Kubernetes, MinIO, PostgreSQL, Keycloak, Trino, Prometheus, helm);
2. Havre's API and the operator, run as a local process with the stack's settings;
3. a data steward publishes the synthetic SNDS-like sample and grants it to ``cardio``
   (``workspaces/examples/``);
4. the operator provisions workspace ``cardio`` (sized for this two-core machine):
   namespace, bucket, catalog database, and its Trino, which the stack's node runs as a
   coordinator pod and a worker pod from the locally built Trino image;
5. alice, the project lead, signs in with Keycloak and asks, through a port-forward to
   the coordinator's Service, how many heart-failure patients received a heart-failure
   treatment.
Everything keeps running afterwards (the port-forward too); ``make stack-down`` stops it all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from trino.auth import JWTAuthentication

from devstack import process, stack
from devstack.components.prometheus import operator_metrics_port
from devstack.errors import ComponentError
from devstack.havre_setup import install_api, kubectl, operator_environment
from devstack.paths import REPO_ROOT, StackPaths
from devstack.trino_client import execute, https_session, keycloak_token

DATASET, BUCKET, PREFIX, NAMESPACE = "snds-sample", "havre-datasets", "snds-sample", "snds"
#: cardio's Trino nodes ask for 2 CPUs each: this machine's node has 2 in all. The demo runs
#: it with the smallest nodes the API allows (an admin's resize, as on any small cluster).
DEMO_SIZE = {"workers": 1, "cpu": "500m", "memory": "2Gi"}
FORWARD_PORT = 18600
QUESTION = """
SELECT count(DISTINCT c.nir_ano_17) AS patients
FROM snds_sample.snds.t_mco23b b
JOIN snds_sample.snds.t_mco23c c ON c.eta_num = b.eta_num AND c.rsa_num = b.rsa_num
JOIN snds_sample.snds.er_pha_f p ON p.ben_nir_psa = c.nir_ano_17
JOIN snds_sample.snds.ir_pha_r r ON r.pha_cip_c13 = p.pha_prs_c13
WHERE b.dgn_pal LIKE 'I50%' AND substr(r.pha_atc_c07, 1, 3) IN ('C03', 'C07', 'C09')
"""


def say(step: str) -> None:
    print(f"\n==> {step}", flush=True)


def start_operator(paths: StackPaths, kubeconfig: str, env: dict[str, str]) -> None:
    port = 18080 + paths.port_offset
    process.stop_component("operator", paths.state)
    process.spawn(
        "operator",
        [sys.executable, "-m", "havre", "--liveness", f"http://127.0.0.1:{port}/healthz"],
        state=paths.state,
        log=paths.log("operator"),
        env={
            **env,
            "KUBECONFIG": kubeconfig,
            # /metrics where the stack's Prometheus scrapes it (job havre-operator)
            "HAVRE_METRICS_ADDRESS": "127.0.0.1",
            "HAVRE_METRICS_PORT": str(operator_metrics_port(paths.port_offset)),
        },
        cwd=REPO_ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise ComponentError("operator", "not live after 60s", paths.log("operator"))


def publish_sample(components: dict[str, Any]) -> None:
    """The steward's part: bucket, catalog database, then the havre CLI."""
    from devstack.s3_clients import s3_client
    from havre import cli
    from havre.external.postgres import PostgresCatalogs

    minio, pg = components["minio"], components["postgres"]
    client = s3_client(minio)
    if not client.bucket_exists(BUCKET):
        client.make_bucket(BUCKET)
    catalogs = PostgresCatalogs(pg["host"], pg["port"], pg["user"], pg["password"], **pg["tls"])
    catalogs.ensure_dataset(DATASET)
    env = {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "PGHOST": pg["host"],
        "PGPORT": str(pg["port"]),
        "PGUSER": pg["user"],
        "PGPASSWORD": pg["password"],
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": pg["ca"],
    }
    argv = ["dataset", "publish-sample", "--dataset", DATASET, "--bucket", BUCKET]
    argv += ["--prefix", PREFIX, "--namespace", NAMESPACE, "--rows", "2000", "--seed", "2026"]
    if cli.main(argv, env) != 0:
        raise ComponentError("demo", "publishing the sample dataset failed")


def wait_workspace(kubeconfig: str, name: str, timeout: float = 900) -> dict[str, Any]:
    """Wait until the workspace is Ready (its Trino pods Available), saying what it waits for."""
    deadline = time.monotonic() + timeout
    said = ""
    while time.monotonic() < deadline:
        obj: dict[str, Any] = json.loads(
            kubectl(kubeconfig, "get", "workspace", name, "-o", "json")
        )
        conditions = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
        ready = conditions.get("Ready", {})
        if ready.get("status") == "True" and obj["status"].get("grants"):
            return obj
        now = f"{ready.get('reason')}: {ready.get('message')}"
        if now != said:
            print(f"    waiting: {now}", flush=True)
            said = now
        time.sleep(2)
    raise ComponentError("demo", f"workspace {name} not Ready: {ready.get('message')}")


def forward_trino(paths: StackPaths, kubeconfig: str, namespace: str) -> int:
    """A port-forward to the coordinator's Service on 127.0.0.1, left running with the stack."""
    port = FORWARD_PORT + paths.port_offset
    name = "demo-port-forward"
    process.stop_component(name, paths.state)
    log = paths.log(name)
    argv = ["kubectl", "--kubeconfig", kubeconfig, "port-forward", "-n", namespace]
    argv += ["--address", "127.0.0.1", "svc/trino", f"{port}:8443"]
    pid = process.spawn(name, argv, state=paths.state, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if re.search(rf"127\.0\.0\.1:{port}", log.read_text(errors="replace")):
            return port
        if not process.alive(pid):
            break
        time.sleep(0.2)
    raise ComponentError("demo", f"port-forward to {namespace}/svc/trino failed", log)


def sized_for_this_machine(example: Path) -> str:
    """The example as YAML, with Trino nodes small enough for this machine's node."""
    obj = yaml.safe_load(example.read_text())
    obj["spec"]["size"] = {**obj["spec"].get("size", {}), **DEMO_SIZE}
    return yaml.safe_dump(obj)


def main() -> int:
    paths = StackPaths.from_env()
    try:
        say("Starting the local platform (first run builds and downloads; see docs/devstack.md)")
        print(stack.format_timings(stack.up(paths)))
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        components = manifest["components"]
        kubeconfig = components["kube"]["kubeconfig"]
        say("Installing Havre's API and starting the operator")
        install_api(kubeconfig, paths.state)
        start_operator(paths, kubeconfig, operator_environment(components))
        say(f"Data steward publishes the synthetic SNDS sample as dataset {DATASET}")
        publish_sample(components)
        examples = REPO_ROOT / "workspaces" / "examples"
        print(kubectl(kubeconfig, "apply", "-f", str(examples / "snds-sample.yaml")).strip())
        print(f"cardio sized for this machine: {DEMO_SIZE}")
        cardio = sized_for_this_machine(examples / "cardio.yaml")
        print(kubectl(kubeconfig, "apply", "-f", "-", stdin=cardio).strip())
        say("The platform admin approves the request (a workspace is a request until then)")
        approval = '{"spec":{"approval":{"decision":"Approved","by":"havre-admin"}}}'
        print(kubectl(kubeconfig, "patch", "workspace", "cardio", "--type=merge", "-p", approval))
        # A grant never opens data to a workspace created after it: the grant comes last.
        print(kubectl(kubeconfig, "apply", "-f", str(examples / "cardio-snds-grant.yaml")).strip())
        say("The operator provisions workspace cardio; the node starts its Trino pods")
        started = time.monotonic()
        obj = wait_workspace(kubeconfig, "cardio")
        print(kubectl(kubeconfig, "get", "workspaces").strip())
        print(kubectl(kubeconfig, "get", "pods", "-n", "ws-cardio", "-o", "wide").strip())
        print(f"endpoints: {obj['status']['endpoints']}")
        port = forward_trino(paths, kubeconfig, "ws-cardio")
        keycloak = components["keycloak"]
        say("alice signs in with Keycloak and asks her question over HTTPS")
        token = keycloak_token(keycloak, "alice", keycloak["users"]["alice"])
        print(QUESTION.strip())
        rows = execute(
            port,
            https_session(keycloak["ca"]),
            "alice",
            QUESTION,
            JWTAuthentication(token),
        )
        elapsed = time.monotonic() - started
        say(
            f"Answer: {rows[0][0]} heart-failure patients (ICD-10 I50) received a "
            f"heart-failure treatment — {elapsed:.0f}s after the workspace was applied."
        )
        print(
            f"\nTrino for cardio: https://localhost:{port} (a port-forward to the pod; token "
            f"from Keycloak {keycloak['url']}, realm havre; users and passwords in "
            f"{paths.manifest}).\n"
            f"Kubernetes: export KUBECONFIG={kubeconfig}\n"
            f"Operator log: {paths.log('operator')}\n"
            "Stop everything with: make stack-down"
        )
        print(f"(demo finished at {dt.datetime.now(dt.UTC):%H:%M:%S} UTC)")
    except ComponentError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
