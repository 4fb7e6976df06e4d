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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devstack import process, stack
from devstack.component import Component
from devstack.errors import ComponentError
from devstack.federation_build import KarmadaBuild
from devstack.federation_hub import clusters_served, install_havre_api, install_karmada_api
from devstack.federation_join import Member, join
from devstack.federation_karmada import (
    AggregatedAPIServer,
    ControllerManager,
    HubKube,
    Scheduler,
    Webhook,
)
from devstack.federation_operators import (
    OPERATOR_HEALTH_PORT,
    hub_operator_environment,
    member_operator_environment,
    start_operator,
)
from devstack.havre_setup import install_api
from devstack.paths import StackPaths
from devstack.tls import StackCA
from devstack.wait import wait_ready

HUB_OFFSET = 60
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
        return _paths_of(Path(self.member_states[name]))

    def hub_stack(self) -> StackPaths:
        return _paths_of(Path(self.hub_state))


def _paths_of(state: Path) -> StackPaths:
    manifest = json.loads((state / "stack.json").read_text())
    return StackPaths(state, int(manifest["port_offset"]))


def root(main: StackPaths) -> Path:
    return main.state / "federation"


def hub_paths(main: StackPaths) -> StackPaths:
    return StackPaths(root(main) / "hub", main.port_offset + HUB_OFFSET)


def member_paths(main: StackPaths, plan: MemberPlan) -> StackPaths:
    if plan.offset is None:
        return main
    return StackPaths(root(main) / plan.name, main.port_offset + plan.offset)


def _start_programs(components: Sequence[Component], attempts: int = 3) -> None:
    """Start (or reuse) processes that are not components of a stack's registry.

    A program that exits before it is ready is started again, twice at most: on a busy
    shared machine a transient shortage (inotify instances, ports in TIME_WAIT) can kill
    a fresh process, and the next start succeeds.
    """
    for comp in components:
        comp.build()

    def serving(comp: Component) -> bool:
        try:
            return comp.running_pid() is not None and comp.probe()
        except Exception:
            return False

    def start(comp: Component) -> float:
        for attempt in range(1, attempts + 1):
            comp.stop()
            pid = comp.start()
            try:
                return wait_ready(
                    comp.name, comp.probe, timeout=comp.ready_timeout, log=comp.log, pid=pid
                )
            except ComponentError:
                if attempt == attempts or process.alive(pid or 0):
                    raise
                time.sleep(2)
        raise AssertionError("unreachable")

    pending = [c for c in components if not serving(c)]
    with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
        for future in [pool.submit(start, c) for c in pending]:
            future.result()


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
    wanted = [
        (member_paths(main, p), list(main_components if p.offset is None else MEMBER_COMPONENTS))
        for p in plans
    ]
    wanted = [(paths, only) for paths, only in wanted if only]
    hub.state.mkdir(parents=True, exist_ok=True)
    StackCA(hub.state).ensure()
    hub_kube = HubKube(hub)
    with ThreadPoolExecutor(max_workers=len(wanted) + 1) as pool:
        on_step("hub: control plane, Karmada's API and admission")
        _start_programs([hub_kube])
        stack.write_manifest(hub, [hub_kube])
        hub_kubeconfig = str(hub_kube.kubeconfig)
        install_karmada_api(hub, hub_kubeconfig, build)
        # Karmada's webhook dies if it cannot get an inotify instance (its certificate
        # watcher): it starts before the members' control planes, which only log it.
        _start_programs([AggregatedAPIServer(hub), Webhook(hub)])
        on_step("members' stacks; Karmada's controller manager and scheduler")
        member_stacks = [pool.submit(stack.up, paths, only) for paths, only in wanted]
        wait_ready(
            "karmada-aggregated-apiserver",
            lambda: clusters_served(hub_kubeconfig),
            timeout=120,
            log=hub.log("karmada-aggregated-apiserver"),
        )
        _start_programs([ControllerManager(hub), Scheduler(hub)])
        for future in member_stacks:
            future.result()
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
            env = member_operator_environment(plan, paths, components[plan.name], keycloak)
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
    stacks = [hub_paths(main)] + [member_paths(main, p) for p in plans if p.offset]
    # Operators first, so none of them outlives the API server it watches.
    operators = [(hub_paths(main), "havre-hub")]
    operators += [(member_paths(main, p), "havre-operator") for p in plans]
    with ThreadPoolExecutor(max_workers=len(operators)) as pool:
        for stopped in [pool.submit(process.stop_component, n, p.state) for p, n in operators]:
            stopped.result()
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        for future in [pool.submit(stack.down, p) for p in stacks if p.state.exists()]:
            left += future.result()
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
