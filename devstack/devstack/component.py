"""What every component of the local platform provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from devstack import process
from devstack.paths import StackPaths
from devstack.secrets import Credentials
from devstack.tls import StackCA


class Component(ABC):
    """One real upstream program, built or fetched into the cache, run as local processes.

    Life cycle, driven by ``devstack.stack``: ``build`` (idempotent; fast when cached),
    ``start`` (spawn, return the pid to watch), ``probe`` (one real request to the
    component's own health endpoint or API; True when ready), ``configure`` (what lives
    inside it, once it answers), ``info`` (endpoints and credentials for stack.json),
    ``stop``.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    ready_timeout: ClassVar[float] = 120.0
    #: Components without a long-running process (helm) set this to False.
    long_running: ClassVar[bool] = True

    def __init__(self, paths: StackPaths) -> None:
        self.paths = paths
        self.creds = Credentials(paths.state)
        self.ca = StackCA(paths.state)

    @property
    def dir(self) -> Path:
        """This component's private state directory (data, config) in the stack."""
        return self.paths.component_dir(self.name)

    @property
    def log(self) -> Path:
        return self.paths.log(self.name)

    @abstractmethod
    def is_built(self) -> bool:
        """True when the cache already holds this version (a warm start)."""

    @abstractmethod
    def build(self) -> None:
        """Build or download this version into the cache (no-op when cached)."""

    @abstractmethod
    def start(self) -> int | None:
        """Prepare configuration and spawn the process; return its pid (None if no process)."""

    @abstractmethod
    def probe(self) -> bool:
        """One real request proving the component serves; True when ready."""

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """Endpoints, credentials and file paths that clients need (written to stack.json)."""

    @property
    def service_addresses(self) -> tuple[str, ...]:
        """The IP addresses a server certificate of this stack must name: loopback, and the
        machine's end of the node's link, where pods reach the platform's services."""
        from devstack.node_network import NodeNetwork

        return ("127.0.0.1", NodeNetwork(self.paths.port_offset).host_address)

    def configure(self) -> None:
        """After the component answers: set up what lives inside it (idempotent; default
        nothing). Runs on every ``up`` of the component, started or reused."""
        return

    def running_pid(self) -> int | None:
        return process.pid_of(self.name, self.paths.state)

    def stop(self) -> None:
        process.stop_component(self.name, self.paths.state)
