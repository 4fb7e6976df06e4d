"""Stopping the local platform leaves nothing of it running."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from devstack import process, stack
from devstack.paths import StackPaths

pytestmark = pytest.mark.integration


def test_stack_down_leaves_no_process_of_the_stack_running() -> None:
    # A stack of its own (other state dir and ports) so the shared test stack is untouched;
    # PostgreSQL forks backends and MinIO runs alone: both kinds must be found and stopped.
    # Not under pytest's tmp_path: PostgreSQL runs as its own user, who cannot enter it.
    root = Path(tempfile.mkdtemp(prefix="havre-lifecycle-"))
    root.chmod(0o755)
    paths = StackPaths(state=root / "stack", port_offset=3000)
    result = stack.up(paths, ["postgres", "minio"])
    try:
        assert sorted(result.started) == ["minio", "postgres"]
        running = process.marked_pids(paths.state)
        assert len(running) >= 2, f"expected the stack's processes, found {running}"
    finally:
        left = stack.down(paths)
    assert left == []
    assert process.marked_pids(paths.state) == []
    assert not paths.manifest.exists()
    shutil.rmtree(root, ignore_errors=True)
