"""Session fixtures that start the real local platform once, or reuse a running one.

``platform(name)`` makes sure one component of the devstack is serving and returns its
entry from stack.json (endpoints, credentials, file paths). Components this test session
started are stopped at its end; components that were already running are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack import stack
from devstack.paths import StackPaths

Platform = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="session")
def stack_paths() -> StackPaths:
    return StackPaths.from_env()


@pytest.fixture(scope="session")
def platform(stack_paths: StackPaths) -> Iterator[Platform]:
    started: list[str] = []

    def ensure(name: str) -> dict[str, Any]:
        result = stack.up(stack_paths, [name])
        started.extend(result.started)
        manifest = stack.read_manifest(stack_paths)
        assert manifest is not None, "stack.json missing after stack up"
        info: dict[str, Any] = manifest["components"][name]
        return info

    yield ensure
    if started:
        stack.down(stack_paths, started)
