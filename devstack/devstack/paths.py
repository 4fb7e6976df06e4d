"""Where the stack keeps its builds (cache, shared) and its running state (per stack)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    """Builds and downloads, keyed by version; survives clean checkouts."""
    env = os.environ.get("HAVRE_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "havre"
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass(frozen=True)
class StackPaths:
    """The state directory of one running stack and its port offset.

    Two stacks (or two control planes) run side by side when they have different
    state directories and port offsets.
    """

    state: Path
    port_offset: int = 0

    @classmethod
    def from_env(cls) -> StackPaths:
        state = Path(os.environ.get("HAVRE_STACK_DIR", str(REPO_ROOT / ".stack")))
        offset = int(os.environ.get("HAVRE_PORT_OFFSET", "0"))
        return cls(state=state.resolve(), port_offset=offset)

    def component_dir(self, name: str) -> Path:
        path = self.state / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log(self, name: str) -> Path:
        logs = self.state / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        return logs / f"{name}.log"

    def port(self, base: int) -> int:
        return base + self.port_offset

    @property
    def manifest(self) -> Path:
        """stack.json: endpoints and generated credentials of the running stack (mode 0600)."""
        return self.state / "stack.json"
