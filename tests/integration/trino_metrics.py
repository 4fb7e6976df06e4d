"""The session's Trino-pod workspace scraped by the stack's Prometheus (job ``havre-trino``).

No Trino of its own: the session's ``engine`` workspace is reused. Its coordinator pod is
written as a file_sd target (``devstack.trino_targets``), a member runs a query through a
port-forward, and the per-workspace query and CPU series are awaited in Prometheus.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trino.auth import JWTAuthentication

from devstack.trino_client import execute, https_session, keycloak_token
from devstack.trino_targets import sync
from havre.metrics.trino import COMPLETED, TRINO_JOB
from tests.integration.engine_workspace import EngineWorkspace
from tests.integration.helpers import wait_for
from tests.integration.pods import port_forward
from tests.integration.promql import Prometheus

#: Some CPU work without a table (sequence() makes at most 10,000 values: two of them
#: crossed make 20 million rows). Its CPU time may be under a second, which the CPU
#: counter may not show: the test asserts the series, not its growth.
WORK = (
    "SELECT count(*) FROM UNNEST(sequence(1, 10000)) AS a(x) "
    "CROSS JOIN UNNEST(sequence(1, 2000)) AS b(y) WHERE (x * y) % 7 = 3"
)


@dataclass(frozen=True)
class TrinoScrape:
    prometheus: Prometheus
    workspace: str
    #: The coordinator's address, as the machine (and Prometheus) reach it.
    coordinator: str
    completed_before: float


def _value(prom: Prometheus, promql: str) -> float | None:
    found = prom.query(promql)
    return float(found[0]["value"][1]) if found else None


def coordinator_target(prom_info: dict[str, Any], kubeconfig: str, namespace: str) -> str:
    """Write the targets file until it lists the workspace's coordinator; its address."""

    def listed() -> str | None:
        groups = sync(kubeconfig, Path(prom_info["trino_targets_dir"]))
        mine = [g for g in groups if g["labels"]["__meta_havre_namespace"] == namespace]
        return str(mine[0]["targets"][0]) if len(mine) == 1 else None

    return wait_for(f"{namespace}'s coordinator listed", listed, timeout=120, interval=2)


def scrape_after_query(
    prom_info: dict[str, Any], kubeconfig: str, keycloak: dict[str, Any], engine: EngineWorkspace
) -> TrinoScrape:
    """Scrape the engine, run one query as a member, wait for it in Prometheus."""
    prom = Prometheus(prom_info["url"])
    coordinator = coordinator_target(prom_info, kubeconfig, engine.namespace)
    ws = engine.name
    prom.wait(
        f"{ws}'s Trino scraped",
        f'up{{job="{TRINO_JOB}", workspace="{ws}"}} == 1',
        timeout=120,
    )
    before = _value(prom, f'{COMPLETED}{{workspace="{ws}"}}')
    if before is None:
        names = prom.query(f'group by (__name__) ({{job="{TRINO_JOB}"}})')
        scraped = sorted(r["metric"]["__name__"] for r in names)
        raise AssertionError(f"{COMPLETED} not scraped from {ws}'s Trino; it has {scraped}")
    token = keycloak_token(keycloak, "alice", keycloak["users"]["alice"])
    with port_forward(kubeconfig, engine.namespace, "svc/trino", 8443) as port:
        execute(port, https_session(keycloak["ca"]), "alice", WORK, JWTAuthentication(token))
    prom.wait(
        f"{ws}'s query counted",
        f'{COMPLETED}{{workspace="{ws}"}} > {before}',
        timeout=120,
    )
    # rate() over a minute needs two samples of the new value: a few more scrapes.
    prom.wait(
        f"{ws}'s query rate",
        f'increase({COMPLETED}{{workspace="{ws}"}}[1m]) > 0',
        timeout=60,
    )
    return TrinoScrape(prom, ws, coordinator, before)
