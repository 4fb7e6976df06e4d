"""The stack's realm: made by ``havre realm setup`` (the platform admin's own command), plus
the test users a local platform signs in with.

Runs once Keycloak answers; a marker in the component's directory (the hash of what was
asked) lets later ``up`` calls skip it while the realm is served.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from keycloak import KeycloakAdmin

from devstack.errors import ComponentError
from devstack.paths import REPO_ROOT

#: The password grant is allowed on this test platform only (tests and the demo use it).
SETUP_ARGS = ("--password-grant", "--token-lifespan", "600")
_MARKER = "realm-setup.json"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _fingerprint(realm: str, url: str, users: Iterable[str], *secrets: str) -> str:
    setup = REPO_ROOT / "operator" / "havre" / "external"
    digest = hashlib.sha256(json.dumps([realm, url, sorted(users), *SETUP_ARGS]).encode())
    for secret in secrets:
        digest.update(hashlib.sha256(secret.encode()).digest())
    # A change of the realm's definition is a new setup.
    for name in ("realm_spec.py", "keycloak_realm.py"):
        digest.update((setup / name).read_bytes())
    return digest.hexdigest()


def configure_realm(
    *,
    url: str,
    realm: str,
    ca: Path,
    workdir: Path,
    admin: tuple[str, str],
    operator_secret: str,
    metrics_secret: str,
    users: Mapping[str, str],
    log: Path,
    served: bool,
) -> bool:
    """Run ``havre realm setup`` and create the test users, unless the realm is ``served``
    and was set up with these very inputs; True when it ran."""
    marker = workdir / _MARKER
    fingerprint = _fingerprint(realm, url, users, operator_secret, metrics_secret)
    if served and marker.exists() and marker.read_text().strip() == fingerprint:
        return False
    secret_file = workdir / "operator-client-secret"
    _write_private(secret_file, operator_secret + "\n")
    metrics_file = workdir / "metrics-client-secret"
    _write_private(metrics_file, metrics_secret + "\n")
    env = {
        **os.environ,
        "HAVRE_REALM_ADMIN_USER": admin[0],
        "HAVRE_REALM_ADMIN_PASSWORD": admin[1],
    }
    argv = [
        sys.executable,
        "-m",
        "havre.cli",
        "realm",
        "setup",
        f"--url={url}",
        f"--realm={realm}",
        f"--ca-file={ca}",
        f"--operator-secret-file={secret_file}",
        f"--metrics-secret-file={metrics_file}",
        *SETUP_ARGS,
    ]
    with log.open("a") as out:
        done = subprocess.run(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False
        )
    if done.returncode != 0:
        raise ComponentError("keycloak", f"havre realm setup failed ({done.returncode})", log)
    _create_users(url, realm, ca, admin, users)
    _write_private(marker, fingerprint + "\n")
    return True


def _create_users(
    url: str, realm: str, ca: Path, admin: tuple[str, str], users: Mapping[str, str]
) -> None:
    client = KeycloakAdmin(
        server_url=url + "/",
        username=admin[0],
        password=admin[1],
        realm_name=realm,
        user_realm_name="master",
        verify=str(ca),
        timeout=30,
    )
    for user, password in users.items():
        user_id = client.get_user_id(user)
        if user_id is None:
            user_id = client.create_user(
                {
                    "username": user,
                    "enabled": True,
                    "email": f"{user}@havre.test",
                    "emailVerified": True,
                    "firstName": user.capitalize(),
                    "lastName": "Researcher",
                },
                exist_ok=True,
            )
        client.set_user_password(user_id, password, temporary=False)
