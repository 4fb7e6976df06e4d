"""Bring the whole local platform up, report on it, and take it down."""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from devstack import process, progress
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.paths import StackPaths, cache_root
from devstack.tls import StackCA
from devstack.wait import wait_ready

#: Start order; each entry is "module:Class" (a bare module name is under devstack.components).
COMPONENTS: dict[str, str] = {
    "kube": "kube:Kube",
    "postgres": "postgres:Postgres",
    # Keycloak before MinIO: MinIO trusts the realm for STS when Keycloak runs as it starts.
    "keycloak": "keycloak:Keycloak",
    "minio": "minio:MinIO",
    "audit": "audit:Audit",
    "trino": "trino:Trino",
    "prometheus": "prometheus:Prometheus",
    "helm": "helm:Helm",
    "kubeconform": "kubeconform:Kubeconform",
    "ct": "chart_testing:ChartTesting",
    # Last: it waits for the control plane, and stops first.
    "node": "node:Node",
}


def load(name: str, paths: StackPaths) -> Component:
    """Instantiate the component called ``name`` for the stack at ``paths``."""
    try:
        module_name, cls_name = COMPONENTS[name].split(":")
    except KeyError:
        raise ComponentError(name, f"unknown component; known: {', '.join(COMPONENTS)}") from None
    if "." not in module_name:
        module_name = f"devstack.components.{module_name}"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ComponentError(name, f"cannot load {module_name}: {exc}") from exc
    component: Component = getattr(module, cls_name)(paths)
    return component


@dataclass
class Timing:
    name: str
    version: str
    cached: bool
    build_s: float = 0.0
    ready_s: float = 0.0
    reused: bool = False


@dataclass
class UpResult:
    timings: list[Timing] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    total_s: float = 0.0


def _select(only: Iterable[str] | None) -> list[str]:
    names = list(only) if only else list(COMPONENTS)
    unknown = [n for n in names if n not in COMPONENTS]
    if unknown:
        raise ComponentError(unknown[0], f"unknown component; known: {', '.join(COMPONENTS)}")
    return [n for n in COMPONENTS if n in names]


def up(paths: StackPaths, only: Sequence[str] | None = None) -> UpResult:
    """Build (cached) and start the selected components; reuse those already serving.

    On failure, every process this call started is stopped and the error names the
    component, its log and the log's last lines.
    """
    t0 = time.monotonic()
    paths.state.mkdir(parents=True, exist_ok=True)
    StackCA(paths.state).ensure()
    components = [load(n, paths) for n in _select(only)]
    result = UpResult()
    for comp in components:
        timing = Timing(comp.name, comp.version, cached=comp.is_built())
        started = time.monotonic()
        if timing.cached:
            comp.build()
        else:
            with progress.step(comp.name, f"build {comp.name} {comp.version}"):
                comp.build()
        timing.build_s = time.monotonic() - started
        result.timings.append(timing)

    pids: dict[str, int | None] = {}
    try:
        for comp, timing in zip(components, result.timings, strict=True):
            if _serving(comp):
                timing.reused = True
                continue
            comp.stop()  # a stale process of an earlier run would hold the ports
            pids[comp.name] = comp.start()
            result.started.append(comp.name)
        with ThreadPoolExecutor(max_workers=len(components)) as pool:
            futures = {
                comp.name: pool.submit(
                    wait_ready,
                    comp.name,
                    comp.probe,
                    timeout=comp.ready_timeout,
                    log=comp.log,
                    pid=pids.get(comp.name),
                )
                for comp in components
                if comp.name in pids
            }
            errors: list[ComponentError] = []
            for timing in result.timings:
                if timing.name in futures:
                    try:
                        timing.ready_s = futures[timing.name].result()
                    except ComponentError as exc:
                        errors.append(exc)
            if errors:
                raise ComponentError(
                    ",".join(e.component for e in errors), "\n".join(str(e) for e in errors)
                )
        for comp in components:
            comp.configure()
    except BaseException:
        for comp in components:
            if comp.name in result.started:
                comp.stop()
        raise
    result.total_s = time.monotonic() - t0
    write_manifest(paths, [load(n, paths) for n in _select(None) if _recorded(n, paths, only)])
    return result


def _recorded(name: str, paths: StackPaths, only: Sequence[str] | None) -> bool:
    if not only or name in only:
        return True
    return load(name, paths).running_pid() is not None


def _serving(comp: Component) -> bool:
    if comp.long_running and comp.running_pid() is None:
        return False
    try:
        return comp.probe()
    except Exception:
        return False


def write_manifest(paths: StackPaths, components: Sequence[Component]) -> None:
    """Write stack.json (mode 0600): every running component's endpoints and credentials."""
    data: dict[str, Any] = {
        "state": str(paths.state),
        "port_offset": paths.port_offset,
        "ca": str(StackCA(paths.state).cert_path),
        "logs": str(paths.state / "logs"),
        "components": {c.name: {"version": c.version, **c.info()} for c in components},
    }
    fd = os.open(paths.manifest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)


def read_manifest(paths: StackPaths) -> dict[str, Any] | None:
    if not paths.manifest.exists():
        return None
    loaded: dict[str, Any] = json.loads(paths.manifest.read_text())
    return loaded


def status(paths: StackPaths) -> list[tuple[str, str, str]]:
    """(component, state, detail) for every component."""
    rows = []
    for name in COMPONENTS:
        comp = load(name, paths)
        pid = comp.running_pid()
        if comp.long_running and pid is None:
            rows.append((name, "stopped", ""))
            continue
        try:
            ok = comp.probe()
        except Exception as exc:
            rows.append((name, "unhealthy", f"pid {pid}: {type(exc).__name__}: {exc}"))
            continue
        rows.append((name, "ready" if ok else "unhealthy", f"pid {pid}" if pid else "built"))
    return rows


def down(paths: StackPaths, only: Sequence[str] | None = None) -> list[int]:
    """Stop the selected components (all by default); return pids of the stack still alive.

    With no selection, every process carrying this stack's mark is ended too, so nothing
    of the stack is left running.
    """
    for name in reversed(_select(only)):
        load(name, paths).stop()
    if only:
        return []
    process.terminate(process.marked_pids(paths.state))
    paths.manifest.unlink(missing_ok=True)
    return process.marked_pids(paths.state)


def format_timings(result: UpResult) -> str:
    lines = [
        f"{'component':<11} {'version':<38} {'cache':<5} {'build s':>8} {'ready s':>8}",
    ]
    for t in result.timings:
        ready = "reused" if t.reused else f"{t.ready_s:8.1f}"
        cache = "warm" if t.cached else "cold"
        lines.append(f"{t.name:<11} {t.version:<38} {cache:<5} {t.build_s:8.1f} {ready:>8}")
    lines.append(f"{'total':<11} {'':<38} {'':<5} {result.total_s:8.1f}")
    lines.append(f"cache: {cache_root()}")
    return "\n".join(lines)
