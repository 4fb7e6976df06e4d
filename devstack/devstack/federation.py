"""A local federation: a Karmada hub and member clusters, each member with its own data.

``python -m devstack.federation up|status|down`` (``make federation-up``/``-down``).

Topology (ports are the main stack's plus the stack offset shown):

- hub (offset +60, state ``<main>/federation/hub``): the ``kube`` component (etcd,
  kube-apiserver, kube-controller-manager) and Karmada's aggregated API server, webhook,
  controller manager and scheduler; Havre's operator in hub mode.
- member ``snc`` (offset +20, state ``<main>/federation/snc``) and member ``hds``
  (offset +40): each its own ``kube``, ``minio`` and ``postgres``, and its own Havre
  operator. A member may also be the main stack itself (``MemberPlan.offset=None``: its
  node can then run workspaces' Trino).
- identity: the main stack's Keycloak realm is the platform's single identity provider.

Every process carries the mark of a state directory under the main stack's, so the main
stack's ``down`` and ``leftovers`` see them too.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devstack import process, stack
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.federation_hub import clusters_served, install_havre_api, install_karmada_api
from devstack.federation_join import Member, join
from devstack.federation_karmada import (
    AggregatedAPIServer,
    ControllerManager,
    KarmadaBuild,
    Scheduler,
    Webhook,
)
from devstack.havre_setup import install_api, operator_environment
from devstack.paths import REPO_ROOT, StackPaths
from devstack.tls import StackCA
from devstack.wait import wait_ready

HUB_OFFSET = 60
OPERATOR_HEALTH_PORT = 25450
HUB_WEBHOOK_PORT = 25448
MEMBER_COMPONENTS = ("kube", "minio", "postgres")


@dataclass(frozen=True)
class MemberPlan:
    """A member to run: its labels, and its stack offset (None: the main stack itself)."""

    name: str
    provider: str
    region: str
    certifications: tuple[str, ...]
    offset: int | None
    #: Whether its operator runs each workspace's Trino (needs a node to be Ready).
    query_engine: bool


DEFAULT_MEMBERS = (
    # Without a node, a member runs no Trino: snc provides storage and catalogs only; hds
    # renders its workspaces' Trino (configuration and access rules).
    MemberPlan("snc", "snc-host", "fr-idf", ("secnumcloud",), 20, query_engine=False),
    MemberPlan("hds", "hds-host", "fr-nord", ("hds",), 40, query_engine=True),
)


@dataclass(frozen=True)
class Federation:
    """What clients of the local federation need (also written to ``federation.json``)."""

    hub_kubeconfig: str
    hub_state: str
    members: dict[str, Member]
    member_states: dict[str, str]
    #: Each member's stack.json components (its own object store and catalog database).
    member_components: dict[str, dict[str, Any]]

    def member_paths(self, name: str) -> StackPaths:
        manifest = json.loads((Path(self.member_states[name]) / "stack.json").read_text())
        return StackPaths(Path(self.member_states[name]), int(manifest["port_offset"]))


def root(main: StackPaths) -> Path:
    return main.state / "federation"


def hub_paths(main: StackPaths) -> StackPaths:
    return StackPaths(root(main) / "hub", main.port_offset + HUB_OFFSET)


def member_paths(main: StackPaths, plan: MemberPlan) -> StackPaths:
    if plan.offset is None:
        return main
    return StackPaths(root(main) / plan.name, main.port_offset + plan.offset)


def _start_programs(components: Sequence[Component]) -> None:
    """Start (or reuse) processes that are not components of a stack's registry."""
    pids: dict[str, int | None] = {}
    for comp in components:
        comp.build()
        try:
            serving = comp.running_pid() is not None and comp.probe()
        except Exception:
            serving = False
        if not serving:
            comp.stop()
            pids[comp.name] = comp.start()
    with ThreadPoolExecutor(max_workers=max(1, len(pids))) as pool:
        waits = [
            pool.submit(
                wait_ready, c.name, c.probe, timeout=c.ready_timeout, log=c.log, pid=pids[c.name]
            )
            for c in components
            if c.name in pids
        ]
        for future in waits:
            future.result()


def start_operator(
    name: str, paths: StackPaths, kubeconfig: str, env: dict[str, str], health_port: int
) -> None:
    """Run ``python -m havre`` as a process of the stack at ``paths``; wait until it is live."""
    port = paths.port(health_port)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=1):
            if process.pid_of(name, paths.state) is not None:
                return
    except OSError:
        pass
    process.stop_component(name, paths.state)
    pid = process.spawn(
        name,
        [sys.executable, "-m", "havre", "--liveness", url],
        state=paths.state,
        log=paths.log(name),
        env={**env, "KUBECONFIG": kubeconfig},
        cwd=REPO_ROOT,
    )

    def live() -> bool:
        with urllib.request.urlopen(url, timeout=1):
            return True

    wait_ready(name, live, timeout=90, log=paths.log(name), pid=pid)


def member_operator_environment(
    plan: MemberPlan, components: dict[str, Any], keycloak: dict[str, Any]
) -> dict[str, str]:
    """A member's operator: its own object store and catalog database, the platform's
    identity provider; its provider name; Trino only where workspaces can run it."""
    env = operator_environment({**components, "keycloak": keycloak})
    if not plan.query_engine:
        env = {k: v for k, v in env.items() if not k.startswith("HAVRE_TRINO_")}
    return {**env, "HAVRE_FEDERATION_PROVIDER": plan.provider}


def hub_operator_environment(hub: StackPaths, resync: float = 2.0) -> dict[str, str]:
    """Settings of the operator in hub mode: its admission webhook's address and certificate."""
    cert, key = StackCA(hub.state).issue("havre-hub-webhook", dns=("localhost",))
    return {
        "HAVRE_FEDERATION_ROLE": "hub",
        "HAVRE_FEDERATION_WEBHOOK_PORT": str(hub.port(HUB_WEBHOOK_PORT)),
        "HAVRE_FEDERATION_WEBHOOK_CERT_FILE": str(cert),
        "HAVRE_FEDERATION_WEBHOOK_KEY_FILE": str(key),
        "HAVRE_FEDERATION_WEBHOOK_CA_FILE": str(StackCA(hub.state).cert_path),
        "HAVRE_FEDERATION_RESYNC_INTERVAL": str(resync),
    }


def up(
    main: StackPaths,
    plans: Sequence[MemberPlan] = DEFAULT_MEMBERS,
    *,
    main_operator: bool = True,
    main_components: Sequence[str] = (),
    on_step: Callable[[str], None] = lambda _: None,
) -> Federation:
    """Build (cached) and start the hub and the members, join them, start the operators.

    Reuses whatever already serves. When the main stack is a member, ``main_components``
    are started on it and ``main_operator=False`` leaves its operator to the caller.
    Keycloak, the platform's one realm, is the main stack's: ``make stack-up`` starts it.
    """
    t0 = time.monotonic()
    hub = hub_paths(main)
    StackCA(main.state).ensure()  # the platform CA (Keycloak's) the operators trust
    build = KarmadaBuild(hub.log("karmada-build"))
    on_step(f"karmada {build.version}: {'cached' if build.is_built() else 'building'}")
    build.build()
    on_step("stacks: hub, members")
    wanted = [(hub, ["kube"])] + [
        (member_paths(main, p), list(main_components if p.offset is None else MEMBER_COMPONENTS))
        for p in plans
    ]
    wanted = [(paths, only) for paths, only in wanted if only]
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        for future in [pool.submit(stack.up, paths, only) for paths, only in wanted]:
            future.result()
    hub_kubeconfig = _component(hub, "kube")["kubeconfig"]
    on_step("hub: Karmada API and admission")
    install_karmada_api(hub, hub_kubeconfig, build)
    _start_programs([AggregatedAPIServer(hub), Webhook(hub)])
    wait_ready(
        "karmada-aggregated-apiserver",
        lambda: clusters_served(hub_kubeconfig),
        timeout=120,
        log=hub.log("karmada-aggregated-apiserver"),
    )
    _start_programs([ControllerManager(hub), Scheduler(hub)])
    install_havre_api(hub_kubeconfig)
    members: dict[str, Member] = {}
    components: dict[str, dict[str, Any]] = {}
    # The platform's one realm: the main stack's Keycloak (its address and CA; the
    # operators need it running only to sign users in or sync groups).
    keycloak = stack.load("keycloak", main).info()
    for plan in plans:
        paths = member_paths(main, plan)
        kube = _component(paths, "kube")
        members[plan.name] = Member(
            plan.name,
            plan.provider,
            plan.region,
            plan.certifications,
            kube["kubeconfig"],
            kube["server"],
            kube["ca"],
        )
        components[plan.name] = stack.read_manifest(paths)["components"]  # type: ignore[index]
        on_step(f"member {plan.name}: Havre's API, joined to the hub")
        install_api(kube["kubeconfig"], paths.state)
        join(hub_kubeconfig, members[plan.name])
        if plan.offset is not None or main_operator:
            env = member_operator_environment(plan, components[plan.name], keycloak)
            start_operator("havre-operator", paths, kube["kubeconfig"], env, OPERATOR_HEALTH_PORT)
    on_step("hub: Havre's operator in hub mode")
    start_operator(
        "havre-hub", hub, hub_kubeconfig, hub_operator_environment(hub), OPERATOR_HEALTH_PORT
    )
    result = Federation(
        hub_kubeconfig=hub_kubeconfig,
        hub_state=str(hub.state),
        members=members,
        member_states={p.name: str(member_paths(main, p).state) for p in plans},
        member_components=components,
    )
    _write(main, result)
    on_step(f"federation ready in {time.monotonic() - t0:.1f}s")
    return result


def _component(paths: StackPaths, name: str) -> dict[str, Any]:
    manifest = stack.read_manifest(paths) or {}
    info = manifest.get("components", {}).get(name)
    if info is None:
        raise ComponentError("federation", f"{name} is not running in the stack at {paths.state}")
    return dict(info)


def _write(main: StackPaths, fed: Federation) -> None:
    path = root(main) / "federation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(fed), out, indent=2, sort_keys=True)


def down(main: StackPaths, plans: Sequence[MemberPlan] = DEFAULT_MEMBERS) -> list[int]:
    """Stop the hub, the members' own stacks, and the operator started on the main stack."""
    left: list[int] = []
    for plan in plans:
        if plan.offset is None:
            process.stop_component("havre-operator", main.state)
    for paths in [hub_paths(main)] + [member_paths(main, p) for p in plans if p.offset]:
        if paths.state.exists():
            left += stack.down(paths)
    (root(main) / "federation.json").unlink(missing_ok=True)
    return left


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    command = args[0] if args else "up"
    paths = StackPaths.from_env()
    try:
        if command == "up":
            fed = up(paths, on_step=lambda s: print(f"==> {s}", flush=True))
            print(f"hub kubeconfig: {fed.hub_kubeconfig}")
            for name, member in fed.members.items():
                print(f"member {name}: {member.server} {member.labels}")
        elif command == "down":
            left = down(paths)
            if left:
                print(f"still running: {left}", file=sys.stderr)
                return 1
        elif command == "status":
            for paths_ in [hub_paths(paths)] + [member_paths(paths, p) for p in DEFAULT_MEMBERS]:
                for name, state, detail in stack.status(paths_):
                    if state != "stopped":
                        print(f"{paths_.state.name:<6} {name:<11} {state:<10} {detail}")
        else:
            print("usage: python -m devstack.federation up|status|down", file=sys.stderr)
            return 2
    except ComponentError as exc:
        print(f"federation: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
