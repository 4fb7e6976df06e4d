"""What a person or a workspace can reach right now, asked of the real systems: an S3 read
with the workspace's credentials, a PostgreSQL session as its catalog role, ``kubectl auth
can-i`` as a member. Each probe answers True when access is refused."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import psycopg

from havre.kube.kinds import by_name
from havre.pipeline.render.secrets import CATALOG_SECRET, decode_secret
from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl, wait_for
from tests.integration.storage import denied, read, workspace_client

SECRET = by_name("Secret")
PREFIX = "oidc:"


def s3_read_refused(
    kube: Kube, minio: dict[str, Any], workspace: str, bucket: str, key: str
) -> bool:
    client = workspace_client(kube.cluster, workspace, minio)
    assert client is not None, f"no credentials for {workspace}"
    return denied(lambda: read(client, bucket, key))


def catalog_credentials(kube: Kube, workspace: str, postgres: dict[str, Any]) -> dict[str, str]:
    """The workspace's catalog credentials, with the platform's TLS settings to use them."""
    secret = wait_for(
        f"{workspace}'s catalog credentials",
        lambda: kube.cluster.get(SECRET, CATALOG_SECRET, f"ws-{workspace}"),
    )
    return {**decode_secret(secret), **postgres["tls"]}


def catalog_session(creds: dict[str, str], dbname: str | None = None) -> psycopg.Connection[Any]:
    """A session as the workspace's catalog role, over verified TLS."""
    return psycopg.connect(
        host=creds["PGHOST"],
        port=int(creds["PGPORT"]),
        dbname=dbname or creds["PGDATABASE"],
        user=creds["PGUSER"],
        password=creds["PGPASSWORD"],
        connect_timeout=5,
        sslmode=creds["sslmode"],
        sslrootcert=creds["sslrootcert"],
        autocommit=True,
    )


def catalog_refused(creds: dict[str, str], dbname: str | None = None) -> bool:
    """True when the server refuses the role a login to ``dbname`` or a read of its catalog
    tables (never because TLS failed: that raises)."""
    try:
        with catalog_session(creds, dbname) as conn:
            conn.execute("SELECT count(*) FROM iceberg_tables").fetchone()
    except psycopg.Error as exc:
        if any(word in str(exc) for word in ("SSL", "certificate")):
            raise
        return True
    return False


def rbac_refused(kube: Kube, workspace: str, user: str) -> bool:
    """True when ``user`` may no longer read the workspace's pods: the authorizer's answer
    to the question ``kubectl auth can-i get pods --as`` asks (a SubjectAccessReview, sent
    directly so that polling costs no process start)."""
    review = kube.cluster.request(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        body={
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": f"{PREFIX}{user}",
                "groups": ["system:authenticated"],
                "resourceAttributes": {
                    "namespace": f"ws-{workspace}",
                    "verb": "get",
                    "resource": "pods",
                },
            },
        },
    )
    return not review.get("status", {}).get("allowed", False)


def can_i(kube: Kube, workspace: str, user: str) -> str:
    """``kubectl auth can-i get pods`` as ``user`` in the workspace's namespace: yes or no."""
    result = kubectl(
        kube.kubeconfig, "auth", "can-i", "get", "pods", "-n", f"ws-{workspace}",
        as_user=f"{PREFIX}{user}",
    )  # fmt: skip
    return result.stdout.strip()


def enforced_within(what: str, probe: Callable[[], bool], since: float, limit: float) -> float:
    """Wait (a little longer than ``limit``, for a loaded machine to report) until ``probe``
    holds; return and check the delay since ``since`` (time.monotonic)."""
    wait_for(what, probe, timeout=limit * 3, interval=0.1)
    delay = time.monotonic() - since
    print(f"\n{what}: {delay:.2f}s")
    assert delay < limit, f"{what} took {delay:.1f}s (limit {limit:.0f}s)"
    return delay


def in_seconds(seconds: float) -> str:
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def patch_spec(kube: Kube, workspace: str, **spec: Any) -> None:
    result = kubectl(
        kube.kubeconfig, "patch", "workspace", workspace, "--type=merge",
        "-p", json.dumps({"spec": spec}),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@contextmanager
def dataset_rule_lifted(kube: Kube) -> Any:
    """Create Datasets as if before the admission rule refusing ``ws-`` buckets existed (a
    platform upgraded with such a dataset in place): the rule is lifted for the block, then
    the committed CRD is applied again."""
    path = (
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/bucket/"
        "x-kubernetes-validations"
    )
    got = kubectl(kube.kubeconfig, "get", "crd", "datasets.havre.io", "-o", "json")
    crd = json.loads(got.stdout)
    rules = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["bucket"]["x-kubernetes-validations"]
    kept = [r for r in rules if "ws-" not in r["rule"]]
    patch = json.dumps([{"op": "replace", "path": path, "value": kept}])
    lifted = kubectl(
        kube.kubeconfig, "patch", "crd", "datasets.havre.io", "--type=json", "-p", patch
    )
    assert lifted.returncode == 0, lifted.stderr
    try:
        yield
    finally:
        restored = kubectl(
            kube.kubeconfig, "apply", "--server-side", "--force-conflicts",
            "-f", "crds/datasets.yaml",
        )  # fmt: skip
        assert restored.returncode == 0, restored.stderr
