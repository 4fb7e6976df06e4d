"""A component that cannot start says which it is, where its log is, and what the log says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import process, stack
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.paths import StackPaths


class Crashing(Component):
    """Prints a recognisable line, then exits at once."""

    name = "crashing"
    version = "0"
    ready_timeout = 30.0

    def is_built(self) -> bool:
        return True

    def build(self) -> None:
        return None

    def start(self) -> int | None:
        return process.spawn(
            self.name,
            ["sh", "-c", "echo 'fatal: port already in use (marker-7731)'; exit 3"],
            state=self.paths.state,
            log=self.log,
        )

    def probe(self) -> bool:
        return False

    def info(self) -> dict[str, Any]:
        return {}


class Hanging(Crashing):
    """Runs forever and never answers its probe."""

    name = "hanging"
    ready_timeout = 1.5

    def start(self) -> int | None:
        return process.spawn(self.name, ["sleep", "300"], state=self.paths.state, log=self.log)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StackPaths:
    monkeypatch.setattr(
        stack,
        "COMPONENTS",
        {
            "crashing": f"{__name__}:Crashing",
            "hanging": f"{__name__}:Hanging",
        },
    )
    return StackPaths(state=tmp_path / "stack", port_offset=0)


def test_crashed_component_error_names_component_log_and_last_lines(paths: StackPaths) -> None:
    with pytest.raises(ComponentError) as caught:
        stack.up(paths, ["crashing"])
    message = str(caught.value)
    assert message.startswith("[crashing]")
    assert "process exited before becoming ready" in message
    assert str(paths.log("crashing")) in message
    assert "marker-7731" in message


def test_component_that_never_answers_fails_after_its_timeout_and_is_stopped(
    paths: StackPaths,
) -> None:
    with pytest.raises(ComponentError, match=r"not ready after 2s"):
        stack.up(paths, ["hanging"])
    assert process.marked_pids(paths.state) == []


def test_unknown_component_is_named_in_the_error(paths: StackPaths) -> None:
    with pytest.raises(ComponentError, match=r"\[nope\] unknown component"):
        stack.up(paths, ["nope"])
