"""The committed CRDs are exactly what the models render, and the layers stay apart."""

from __future__ import annotations

import ast
from pathlib import Path

from havre.api.crdgen import dump, render_crds

ROOT = Path(__file__).parents[2]


def test_committed_crds_match_the_models() -> None:
    for filename, manifest in render_crds().items():
        committed = (ROOT / "crds" / filename).read_text()
        assert committed == dump(manifest), f"crds/{filename} is stale: run `make crds`"


def test_renderers_import_no_kubernetes_client() -> None:
    forbidden = ("kubernetes", "kopf", "havre.kube", "minio", "trino", "keycloak", "psycopg")
    for path in (ROOT / "operator" / "havre" / "pipeline" / "render").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert not module.startswith(forbidden), f"{path.name} imports {module}"
