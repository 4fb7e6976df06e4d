"""Stopping a benchmark's platform: only what it started.

``stack.down(paths)`` with no selection stops every component, the node included, and the
node's stop acts on the node network of its slot (``node_network.NodeNetwork.slot``: the
port offset // 10, modulo 190), whether or not this stack started a node: it kills the
processes of that slot's pods and removes its host link and forwarding table. A benchmark
platform runs at ``HAVRE_PORT_OFFSET + 40``, whose slot may be another stack's (5020 and
1220 share slot 122): stopping everything there broke that stack's node. So a benchmark
stops exactly the components it started, then whatever else carries its state's mark.
"""

from __future__ import annotations

from collections.abc import Sequence

from devstack import process, stack
from devstack.paths import StackPaths


def stop_platform(paths: StackPaths, components: Sequence[str]) -> list[int]:
    """Stop ``components`` and every process marked with this platform's state; the pids
    still alive."""
    stack.down(paths, list(components))
    process.terminate(process.marked_pids(paths.state))
    paths.manifest.unlink(missing_ok=True)
    return process.marked_pids(paths.state)
