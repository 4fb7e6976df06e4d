"""``havre realm setup`` made the stack's realm (the devstack runs it once Keycloak answers):
a second run changes nothing, and what it made is what the platform needs and no more."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from keycloak import KeycloakAdmin

from devstack.keycloak_realm import SETUP_ARGS
from devstack.paths import StackPaths
from havre.external.realm_spec import OPERATOR_ROLES

pytestmark = pytest.mark.integration


def _admin(keycloak: dict[str, Any]) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=keycloak["url"] + "/",
        username=keycloak["admin_user"],
        password=keycloak["admin_password"],
        realm_name=keycloak["realm"],
        user_realm_name="master",
        verify=keycloak["ca"],
        timeout=60,
    )


def test_setting_up_the_realm_again_changes_nothing(
    keycloak: dict[str, Any], stack_paths: StackPaths, tmp_path: Path
) -> None:
    secret_file = tmp_path / "operator-secret"
    shutil.copy(stack_paths.state / "keycloak" / "operator-client-secret", secret_file)
    _setup_changes_nothing(
        keycloak, "--operator-secret-file", secret_file, keycloak["operator_client_secret"]
    )


def test_operator_client_holds_only_user_and_group_management(keycloak: dict[str, Any]) -> None:
    admin = _admin(keycloak)
    operator = admin.get_client_id(keycloak["operator_client_id"])
    management = admin.get_client_id("realm-management")
    assert operator is not None and management is not None
    account = admin.get_client_service_account_user(operator)
    held = {r["name"] for r in admin.get_client_roles_of_user(account["id"], management)}
    assert held == set(OPERATOR_ROLES)
    realm_roles = {r["name"] for r in admin.get_realm_roles_of_user(account["id"])}
    assert realm_roles <= {f"default-roles-{keycloak['realm']}"}


def test_each_service_has_its_own_public_client_and_audience(keycloak: dict[str, Any]) -> None:
    admin = _admin(keycloak)
    for client_id in ("trino", "kubernetes", "minio"):
        internal = admin.get_client_id(client_id)
        assert internal is not None, client_id
        client = admin.get_client(internal)
        assert client["publicClient"] and not client["serviceAccountsEnabled"]
        audiences = {
            m["config"].get("included.client.audience")
            for m in client["protocolMappers"]
            if m["protocolMapper"] == "oidc-audience-mapper"
        }
        assert audiences == {client_id}


def test_metrics_client_gets_a_trino_token_without_roles_and_setup_keeps_its_secret(
    keycloak: dict[str, Any], stack_paths: StackPaths, tmp_path: Path
) -> None:
    """The scraper's client (``prometheus``): client credentials only, its token carries the
    ``trino`` audience and no role; setting up again with its secret file changes nothing."""
    answer = requests.post(
        keycloak["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": keycloak["metrics_client_id"],
            "client_secret": keycloak["metrics_client_secret"],
        },
        verify=keycloak["ca"],
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    payload = answer.json()["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] in ("trino", ["trino"])
    assert claims["preferred_username"] == "service-account-prometheus"
    assert "realm_access" not in claims and "resource_access" not in claims
    secret_file = tmp_path / "metrics-secret"
    shutil.copy(stack_paths.state / "keycloak" / "metrics-client-secret", secret_file)
    _setup_changes_nothing(
        keycloak, "--metrics-secret-file", secret_file, keycloak["metrics_client_secret"]
    )


def _setup_changes_nothing(
    keycloak: dict[str, Any], flag: str, secret_file: Path, secret: str
) -> None:
    """``havre realm setup`` run again with the client secret in ``secret_file``: nothing to
    change, and the secret printed nowhere."""
    argv = [sys.executable, "-m", "havre.cli", "realm", "setup", "--url", keycloak["url"]]
    argv += ["--realm", keycloak["realm"], "--ca-file", keycloak["ca"], *SETUP_ARGS]
    done = subprocess.run(
        [*argv, flag, str(secret_file)],
        env={
            **os.environ,
            "HAVRE_REALM_ADMIN_USER": keycloak["admin_user"],
            "HAVRE_REALM_ADMIN_PASSWORD": keycloak["admin_password"],
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"realm {keycloak['realm']}: nothing to change"
    assert secret not in done.stdout + done.stderr
