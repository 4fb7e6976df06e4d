"""The operator caps glibc's malloc arenas, unless its administrator set them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from havre.memory import limit_malloc_arenas


def test_the_cap_is_set_on_glibc() -> None:
    code = "from havre.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    libc = subprocess.run(["ldd", "--version"], capture_output=True, text=True, check=False)
    expected = "True" if "GLIBC" in (libc.stdout + libc.stderr).upper() else "False"
    assert out.stdout.strip() == expected


def test_an_administrators_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_malloc_arenas() is False
