"""Each workspace gets its own catalog database; granted dataset catalogs are readable
only while the grant is in force; deletion keeps or drops the catalog as the policy says."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from havre.api import names
from havre.kube.kinds import by_name
from havre.pipeline.render.secrets import CATALOG_SECRET, decode_secret
from tests.integration.catalogdb import superuser
from tests.integration.conftest import Kube
from tests.integration.helpers import OperatorProcess, kubectl, wait_for
from tests.integration.workspaces import (
    WORKSPACE,
    apply,
    condition,
    dataset,
    grant,
    unique,
    wait_provisioned,
    workspace,
)

pytestmark = pytest.mark.integration
SECRET = by_name("Secret")


def credentials(kube: Kube, ws: str, postgres: dict[str, Any]) -> dict[str, str]:
    """The workspace's catalog credentials, with the platform's TLS settings to use them."""
    secret = wait_for(
        f"{ws}'s catalog credentials",
        lambda: kube.cluster.get(SECRET, CATALOG_SECRET, f"ws-{ws}"),
    )
    return {**decode_secret(secret), **postgres["tls"]}


def connect(creds: dict[str, str], dbname: str | None = None) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=creds["PGHOST"],
        port=int(creds["PGPORT"]),
        dbname=dbname or creds["PGDATABASE"],
        user=creds["PGUSER"],
        password=creds["PGPASSWORD"],
        connect_timeout=5,
        sslmode=creds["sslmode"],
        sslrootcert=creds["sslrootcert"],
    )


def refused(creds: dict[str, str], dbname: str | None = None) -> bool:
    """True when the server refuses the role (never because TLS failed)."""
    try:
        with connect(creds, dbname) as conn:
            conn.execute("SELECT count(*) FROM iceberg_tables").fetchone()
    except psycopg.Error as exc:
        if any(word in str(exc) for word in ("SSL", "certificate")):
            raise  # TLS failed: that is not the refusal under test
        return True
    return False


def test_workspace_role_reaches_its_catalog_and_no_other(
    kube: Kube, operator: OperatorProcess, postgres: dict[str, Any]
) -> None:
    a, b = unique("cat-a"), unique("cat-b")
    for ws in (a, b):
        apply(kube.kubeconfig, workspace(ws))
    for ws in (a, b):
        obj = wait_provisioned(kube.cluster, ws)
        catalog = condition(obj, "Catalog")
        assert catalog is not None and catalog["status"] == "True", catalog
    creds = credentials(kube, a, postgres)
    assert creds["PGDATABASE"] == names.database(a)
    with connect(creds) as conn:
        assert conn.execute("SELECT count(*) FROM iceberg_tables").fetchone() == (0,)
    assert refused(creds, names.database(b))
    for ws in (a, b):
        kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def test_dataset_catalog_is_readable_only_while_granted(
    kube: Kube, operator: OperatorProcess, postgres: dict[str, Any]
) -> None:
    ws, ds = unique("cat-grantee"), unique("cat-ds")
    apply(kube.kubeconfig, workspace(ws))
    wait_provisioned(kube.cluster, ws)
    creds = credentials(kube, ws, postgres)
    apply(kube.kubeconfig, dataset(ds, "havre-datasets", ds))
    apply(kube.kubeconfig, grant(f"{ws}-g", ws, ds))
    database = names.dataset_database(ds)
    wait_for("read access to the dataset catalog", lambda: not refused(creds, database))
    with connect(creds, database) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name) "
            "VALUES ('x', 'y', 'z')"
        )
    kubectl(kube.kubeconfig, "delete", "datasetgrant", f"{ws}-g", "--wait=false")
    wait_for("the catalog grant to be revoked", lambda: refused(creds, database), timeout=10)
    kubectl(kube.kubeconfig, "delete", "dataset", ds, "--wait=false")
    kubectl(kube.kubeconfig, "delete", "workspace", ws, "--wait=false")


def test_retain_keeps_the_catalog_locked_and_delete_drops_it(
    kube: Kube, operator: OperatorProcess, postgres: dict[str, Any]
) -> None:
    kept, dropped = unique("cat-keep"), unique("cat-drop")
    apply(kube.kubeconfig, workspace(kept))
    apply(kube.kubeconfig, workspace(dropped, deletionPolicy="Delete"))
    wait_provisioned(kube.cluster, kept)
    wait_provisioned(kube.cluster, dropped)
    creds = credentials(kube, kept, postgres)
    for ws in (kept, dropped):
        kubectl(kube.kubeconfig, "delete", "workspace", ws)

    def gone() -> bool:
        return all(kube.cluster.get(WORKSPACE, ws) is None for ws in (kept, dropped))

    wait_for("both workspaces gone", gone, timeout=60)
    assert refused(creds)
    with superuser(postgres) as conn:
        databases = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
        roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
    assert names.database(kept) in databases and names.database(kept) in roles
    assert names.database(dropped) not in databases and names.database(dropped) not in roles
