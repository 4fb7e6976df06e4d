"""``havre workspace connect`` prints a recipe a member can paste: shell-safe, runnable."""

from __future__ import annotations

import ast
import shlex

import pytest

from havre import cli
from havre.connect import Connection, python_snippet, render_connection

CONNECTION = Connection(
    workspace="cardio",
    trino_url="https://cardio.trino.example:8443",
    issuer="https://id.example/realms/havre",
    user="alice",
    ca_file="/home/alice/platform ca.pem",
    datasets=("snds_sample",),
)


def test_recipe_names_the_url_the_catalogs_and_the_token_endpoints() -> None:
    text = render_connection(CONNECTION)
    assert "Trino:    https://cardio.trino.example:8443" in text
    assert "snds_sample (dataset, read-only)" in text
    assert "https://id.example/realms/havre/protocol/openid-connect/auth/device" in text
    assert "grant_type=urn:ietf:params:oauth:grant-type:device_code" in text


def test_trino_cli_line_is_one_shell_command_with_the_token_from_the_environment() -> None:
    line = next(ln for ln in render_connection(CONNECTION).splitlines() if "trino --server" in ln)
    words = shlex.split(line)
    assert words[:3] == ["trino", "--server", "https://cardio.trino.example:8443"]
    assert words[words.index("--access-token") + 1] == "$TOKEN"
    assert words[words.index("--truststore-path") + 1] == "/home/alice/platform ca.pem"


def test_python_snippet_is_valid_python_reading_the_token_from_the_environment() -> None:
    tree = ast.parse(python_snippet(CONNECTION))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    connect = next(c for c in calls if ast.unparse(c.func) == "trino.dbapi.connect")
    keywords = {k.arg: ast.unparse(k.value) for k in connect.keywords}
    assert keywords["host"] == "'cardio.trino.example'"
    assert keywords["port"] == "8443"
    assert keywords["auth"] == "trino.auth.JWTAuthentication(os.environ['TOKEN'])"


def test_connect_without_an_https_trino_url_says_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(
        ["workspace", "connect", "cardio", "--kubeconfig", "/nonexistent"],
        env={"HAVRE_IDENTITY_ISSUER": "https://id.example/realms/havre"},
    )
    assert code == 2
    assert "--trino-url" in capsys.readouterr().err
