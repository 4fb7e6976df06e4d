"""``havre realm setup``: the Keycloak realm, clients and mappers a Havre platform needs.

    HAVRE_REALM_ADMIN_USER=admin HAVRE_REALM_ADMIN_PASSWORD=... \\
    havre realm setup --url https://id.example --realm havre --ca-file ca.pem \\
        --operator-secret-file operator-secret

Signs in as a realm administrator of the ``master`` realm (``--admin-realm``); passwords
come from the environment only. ``--operator-secret-file``: when the file exists, its
content becomes the operator client's secret; otherwise Keycloak's secret is written to it
(mode 0600) for the operator's Secret. Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from keycloak import KeycloakAdmin

from havre.errors import HavreError
from havre.external.keycloak_realm import RealmSetup
from havre.external.realm_spec import DEFAULT_REDIRECTS, RealmOptions

ADMIN_ENV = ("HAVRE_REALM_ADMIN_USER", "HAVRE_REALM_ADMIN_PASSWORD")


class RealmUsageError(ValueError):
    """The command line or the environment is incomplete or wrong."""


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``realm setup`` to the ``havre`` command line."""
    realm = groups.add_parser("realm", help="set up the identity provider (platform admin)")
    actions = realm.add_subparsers(dest="action", required=True)
    setup = actions.add_parser(
        "setup",
        help="create or update the Keycloak realm, clients and mappers Havre needs",
        description="Idempotent. Admin credentials from HAVRE_REALM_ADMIN_USER and "
        "HAVRE_REALM_ADMIN_PASSWORD.",
    )
    setup.add_argument("--url", required=True, help="Keycloak base URL (https://...)")
    setup.add_argument("--realm", default="havre", help="realm name (default havre)")
    setup.add_argument("--admin-realm", default="master", help="realm of the admin user")
    setup.add_argument("--ca-file", help="PEM CA bundle that signs Keycloak's certificate")
    setup.add_argument(
        "--token-lifespan", type=int, default=300, help="access token lifetime, seconds"
    )
    setup.add_argument(
        "--redirect-uri",
        action="append",
        help=f"redirect URI of the public clients (default {', '.join(DEFAULT_REDIRECTS)})",
    )
    setup.add_argument(
        "--password-grant",
        action="store_true",
        help="allow the resource-owner password grant (test platforms only)",
    )
    setup.add_argument("--operator-secret-file", type=Path, help="operator client's secret")
    setup.add_argument(
        "--metrics-secret-file",
        type=Path,
        help="secret of the metrics scraper's client (prometheus), same rules as the operator's",
    )
    setup.set_defaults(run=run_setup)


def _options(args: argparse.Namespace) -> RealmOptions:
    if not args.url.startswith("https://"):
        raise RealmUsageError("--url must be https://: admin credentials travel over it")
    if not 60 <= args.token_lifespan <= 3600:
        raise RealmUsageError("--token-lifespan must be between 60 and 3600 seconds")
    return RealmOptions(
        realm=args.realm,
        token_lifespan=args.token_lifespan,
        redirect_uris=tuple(args.redirect_uri or DEFAULT_REDIRECTS),
        password_grant=args.password_grant,
    )


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _given(path: Path | None) -> str | None:
    """The secret a file holds, or None (Keycloak's is kept, then written there)."""
    if path is None or not path.exists():
        return None
    return path.read_text().strip() or None


def run_setup(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Apply the realm; print one line per change. 0 on success, 1 on a Keycloak error."""
    options = _options(args)
    if missing := [key for key in ADMIN_ENV if not env.get(key)]:
        raise RealmUsageError(f"set {', '.join(missing)} in the environment")
    secret_file: Path | None = args.operator_secret_file
    secret = _given(secret_file)
    metrics_file: Path | None = getattr(args, "metrics_secret_file", None)
    metrics_secret = _given(metrics_file)
    url = args.url.rstrip("/")
    admin = KeycloakAdmin(
        server_url=url + "/",
        username=env[ADMIN_ENV[0]],
        password=env[ADMIN_ENV[1]],
        realm_name=options.realm,
        user_realm_name=args.admin_realm,
        verify=args.ca_file or True,
        # Creating a realm takes a while on a busy server; a timeout would only retry it.
        timeout=180,
    )
    try:
        result = RealmSetup(admin, f"{url}/realms/{options.realm}").run(
            options, secret, metrics_secret
        )
    except HavreError as exc:
        print(f"havre: {exc.reason}: {exc}")
        return 1
    if secret_file is not None and secret is None:
        _write_private(secret_file, result.operator_secret + "\n")
        print(f"operator client secret written to {secret_file}")
    if metrics_file is not None and metrics_secret is None:
        _write_private(metrics_file, result.metrics_secret + "\n")
        print(f"metrics client secret written to {metrics_file}")
    for change in result.changes:
        print(f"changed: {change}")
    if not result.changes:
        print(f"realm {options.realm}: nothing to change")
    return 0
