"""``make bench``: Havre's performance on this machine, as JSON in bench/results/.

    python -m bench [--suites provision,revocation,scale] [--scale 200,500,1000]
                    [--runs 20] [--batch 20] [--trials 20] [--idle-window 60] [--no-trino]
                    [--timeout SECONDS]

Each suite runs on a platform of its own (kube, MinIO, PostgreSQL) started in a temporary
directory at port offset HAVRE_PORT_OFFSET + 40 and removed afterwards, with the operator
as ``python -m havre`` (repair tick 60 s, audit 1800 s: the defaults):

- ``provision``: apply → Ready, one workspace at a time (``--runs``) and ``--batch`` at once;
- ``revocation``: grant end → the object store refuses the dataset read, after a delete
  and at ``expires``, ``--trials`` each;
- ``scale``: per size, that many workspaces at once on a fresh platform: time until all
  are Ready, operator peak RSS, requests per workspace (as the API server counts them),
  then an idle ``--idle-window``: requests and writes per minute, external calls, CPU.

Trino is rendered (certificate, configuration, Deployments) but not started: there is no
node in these platforms, and the targets exclude Trino's JVM start. Results also record
the machine, the versions and the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import harness
from bench.platform import stop_platform
from devstack import stack
from devstack.havre_setup import install_api
from devstack.paths import StackPaths
from havre.kube.cluster import Cluster
from tests.integration.helpers import OperatorProcess

RESULTS = Path(__file__).parent / "results"
REPAIR_INTERVAL = 60.0

#: What this benchmark's platform runs (and all it stops).
COMPONENTS = ["kube", "minio", "postgres"]


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "kopf": metadata.version("kopf"),
        "commit": git.stdout.strip(),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }


def operator_env(components: dict[str, Any], trino: bool) -> dict[str, str]:
    minio, pg = components["minio"], components["postgres"]
    env = {
        "HAVRE_STORAGE_URL": minio["url"],
        "HAVRE_STORAGE_ACCESS_KEY": minio["access_key"],
        "HAVRE_STORAGE_SECRET_KEY": minio["secret_key"],
        "HAVRE_STORAGE_CA_FILE": minio["ca"],
        "HAVRE_CATALOG_HOST": pg["host"],
        "HAVRE_CATALOG_PORT": str(pg["port"]),
        "HAVRE_CATALOG_USER": pg["user"],
        "HAVRE_CATALOG_PASSWORD": pg["password"],
        "HAVRE_CATALOG_SSLMODE": "verify-full",
        "HAVRE_CATALOG_CA_FILE": pg["ca"],
        "HAVRE_REPAIR_INTERVAL": str(REPAIR_INTERVAL),
        "HAVRE_AUDIT_INTERVAL": "1800",
        "HAVRE_METRICS_USAGE_INTERVAL": "60",
    }
    if trino:
        # Rendered only: no Trino pod runs here, nothing contacts these addresses.
        env["HAVRE_TRINO_ISSUER"] = "https://127.0.0.1:1/realms/havre"
        env["HAVRE_TRINO_JWKS_URL"] = "https://127.0.0.1:1/realms/havre/certs"
    return env


@contextlib.contextmanager
def bench_platform(trino: bool) -> Iterator[harness.Target]:
    """kube, MinIO and PostgreSQL in a fresh directory, the API installed, the operator
    running; everything stopped and removed afterwards."""
    offset = int(os.environ.get("HAVRE_PORT_OFFSET", "0")) + 40
    state = Path(tempfile.mkdtemp(prefix="havre-bench-"))
    state.chmod(0o755)  # PostgreSQL runs as its own user and must traverse it
    paths = StackPaths(state=state, port_offset=offset)
    operator = None
    try:
        stack.up(paths, COMPONENTS)
        manifest = stack.read_manifest(paths)
        assert manifest is not None
        components = manifest["components"]
        kubeconfig = str(components["kube"]["kubeconfig"])
        install_api(kubeconfig, state)
        env = operator_env(components, trino)
        # a shared machine can take minutes to import and start the operator
        operator = OperatorProcess(kubeconfig, state / "operator.log", env, startup_timeout=600)
        operator.start()
        yield harness.Target(
            kubeconfig,
            Cluster.from_kubeconfig(kubeconfig),
            operator,
            components["minio"],
            REPAIR_INTERVAL,
        )
    finally:
        if operator is not None:
            operator.stop()
        stop_platform(paths, COMPONENTS)
        kept = RESULTS / "logs"  # the operator's log, for a look at what took the time
        kept.mkdir(parents=True, exist_ok=True)
        if (state / "operator.log").exists():
            shutil.copy(state / "operator.log", kept / f"operator-{state.name}.log")
        shutil.rmtree(state, ignore_errors=True)


def provision(args: argparse.Namespace) -> dict[str, Any]:
    with bench_platform(args.trino) as target:
        harness.one_at_a_time(target, 2)  # warm-up: imports, connections, first CREATE
        kubectl_s: list[float] = []
        one = harness.one_at_a_time(target, args.runs, kubectl_s)
        batch = harness.at_once(target, args.batch)
    return {
        "one_at_a_time_s": harness.percentiles(one),
        "kubectl_apply_s": harness.percentiles(kubectl_s),
        "at_once_s": harness.percentiles(batch),
        "samples": {"one_at_a_time": one, "kubectl_apply": kubectl_s, "at_once": batch},
    }


def revocation(args: argparse.Namespace) -> dict[str, Any]:
    with bench_platform(args.trino) as target:
        deleted = harness.revocation(target, args.trials, "deleted")
        expired = harness.revocation(target, args.trials, "expires")
    return {
        "deleted_s": harness.percentiles(deleted),
        "expires_s": harness.percentiles(expired),
        "samples": {"deleted": deleted, "expires": expired},
    }


def scale(args: argparse.Namespace) -> dict[str, Any]:
    sizes = {}
    for count in args.scale:
        with bench_platform(args.trino) as target:
            sizes[str(count)] = harness.scale(target, count, args.idle_window, args.timeout)
        print(f"scale {count}: {sizes[str(count)]}", flush=True)
    return {"sizes": sizes}


SUITES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "provision": provision,
    "revocation": revocation,
    "scale": scale,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--suites", default="provision,revocation,scale")
    parser.add_argument("--scale", default="200,500,1000")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--idle-window", type=float, default=60.0)
    parser.add_argument("--no-trino", dest="trino", action="store_false")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="scale: seconds after which the figures so far are kept, marked incomplete "
        "(default 600 + 10 per workspace)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.scale = [int(n) for n in args.scale.split(",") if n]
    for suite in args.suites.split(","):
        data = {"suite": suite, "machine": machine(), "trino_rendered": args.trino}
        data.update(SUITES[suite](args))
        data["load_average_at_end"] = os.getloadavg()
        path = harness.write_result(args.results, suite, data)
        print(f"{suite}: {path}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
