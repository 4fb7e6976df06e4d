"""ResourceQuota and LimitRange from the workspace's size."""

from __future__ import annotations

from typing import Any

from havre.api import names
from havre.api.quantity import format_bytes, format_cpu, parse_quantity
from havre.pipeline.validate import ValidWorkspace
from havre.settings import Settings

QUOTA_NAME = "havre-quota"
LIMITS_NAME = "havre-limits"


def render_quota(ws: ValidWorkspace, settings: Settings) -> dict[str, Any]:
    """Room for a Trino coordinator and ``workers`` workers, plus a fixed headroom.

    No PersistentVolumeClaims, LoadBalancers or NodePorts: data lives in the object store
    and the only way in is the gateway.
    """
    nodes = ws.size.workers + 1
    cpu = parse_quantity(ws.size.cpu) * nodes + parse_quantity(
        settings.namespace_quota_headroom_cpu
    )
    memory = parse_quantity(ws.size.memory) * nodes + parse_quantity(
        settings.namespace_quota_headroom_memory
    )
    hard = {
        "requests.cpu": format_cpu(cpu),
        "limits.cpu": format_cpu(cpu),
        "requests.memory": format_bytes(memory),
        "limits.memory": format_bytes(memory),
        "pods": str(nodes + 4),
        "persistentvolumeclaims": "0",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA_NAME, "namespace": names.namespace(ws.name)},
        "spec": {"hard": hard},
    }


def render_limit_range(ws: ValidWorkspace) -> dict[str, Any]:
    """Defaults for containers that state no resources; no container above one Trino node."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": LIMITS_NAME, "namespace": names.namespace(ws.name)},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
                    "max": {"cpu": ws.size.cpu, "memory": ws.size.memory},
                }
            ]
        },
    }
