"""A researcher's connection recipe for a workspace's Trino, as text (pure).

``havre workspace connect`` prints it: the Trino URL and catalogs, how to obtain a token
from the identity provider (device authorization grant: no password goes through the
terminal or a script), a ready ``trino`` CLI line and a Python snippet. Everything that
varies is quoted for the shell, and the Python snippet reads the token from ``$TOKEN``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from havre.pipeline.render.trino_access import WORKSPACE_CATALOG, WORKSPACE_READONLY_CATALOG


@dataclass(frozen=True)
class Connection:
    """What a member needs to reach one workspace's Trino."""

    workspace: str
    trino_url: str
    issuer: str
    user: str
    client_id: str = "trino"
    ca_file: str | None = None
    #: Catalogs of the granted datasets (read-only).
    datasets: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.trino_url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.trino_url).port or 443


def _token_steps(c: Connection) -> list[str]:
    endpoint = f"{c.issuer}/protocol/openid-connect"
    curl = "curl -s" + (f" --cacert {shlex.quote(c.ca_file)}" if c.ca_file else "")
    client = f"-d client_id={shlex.quote(c.client_id)}"
    return [
        f"  # 1. ask for a sign-in code (client {c.client_id}); open the printed link and sign in",
        f"  {curl} {client} {shlex.quote(endpoint + '/auth/device')}",
        "  # 2. then exchange the device_code it returned for a token (valid a few minutes)",
        f"  export TOKEN=$({curl} {client} "
        "-d grant_type=urn:ietf:params:oauth:grant-type:device_code \\",
        f"      -d device_code=DEVICE_CODE {shlex.quote(endpoint + '/token')} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
    ]


def _cli_line(c: Connection) -> str:
    parts = [
        "trino",
        f"--server {shlex.quote(c.trino_url)}",
        f"--user {shlex.quote(c.user)}",
        '--access-token "$TOKEN"',
        f"--catalog {WORKSPACE_CATALOG}",
    ]
    if c.ca_file:
        parts.append(f"--truststore-path {shlex.quote(c.ca_file)}")
    return "  " + " ".join(parts)


def python_snippet(c: Connection) -> str:
    """Python that lists the workspace's schemas with the token in ``$TOKEN``."""
    verify = repr(c.ca_file) if c.ca_file else "True"
    return "\n".join(
        [
            "# requests lets REQUESTS_CA_BUNDLE, when set, take precedence over verify=",
            "import os",
            "import trino",
            "",
            "conn = trino.dbapi.connect(",
            f"    host={c.host!r},",
            f"    port={c.port},",
            f"    user={c.user!r},",
            '    http_scheme="https",',
            '    auth=trino.auth.JWTAuthentication(os.environ["TOKEN"]),',
            f"    verify={verify},",
            f"    catalog={WORKSPACE_CATALOG!r},",
            ")",
            "cursor = conn.cursor()",
            'cursor.execute("SHOW SCHEMAS")',
            "print(cursor.fetchall())",
        ]
    )


def render_connection(c: Connection) -> str:
    """The whole recipe, for a terminal."""
    catalogs = [
        f"{WORKSPACE_CATALOG} (read-write for owners and analysts)",
        f"{WORKSPACE_READONLY_CATALOG} (read-only)",
        *(f"{d} (dataset, read-only)" for d in c.datasets),
    ]
    snippet = "\n".join(f"  {line}" if line else "" for line in python_snippet(c).splitlines())
    return "\n".join(
        [
            f"Workspace {c.workspace}",
            f"Trino:    {c.trino_url}",
            f"Catalogs: {', '.join(catalogs)}",
            "",
            f"Token: sign in to {c.issuer} as {c.user}:",
            *_token_steps(c),
            "",
            "trino CLI:",
            _cli_line(c),
            "",
            "Python (pip install trino):",
            snippet,
            "",
        ]
    )
