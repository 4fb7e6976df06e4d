"""Trino's event listener as rendered for the audit trail (golden files)."""

from __future__ import annotations

import base64
import dataclasses

from havre.audit.credentials import Caller, verify_credential
from havre.pipeline.render.audit import render_audit_secret
from havre.pipeline.render.trino_config import (
    render_coordinator_config,
    render_event_listener_properties,
)
from havre.pipeline.render.trino_workloads import AUDIT_SECRET, render_trino
from havre.pipeline.validate import ValidWorkspace
from tests.unit.trino_fixtures import PLATFORM, SNDS, assert_golden_text, parse_properties

AUDITED = dataclasses.replace(PLATFORM, audit_url="https://havre-audit.havre-system.svc:8443")


def test_event_listener_posts_created_and_completed_events_to_the_receiver() -> None:
    text = render_event_listener_properties(AUDITED)
    assert_golden_text("trino-event-listener.properties", text)
    props = parse_properties(text)
    assert props["http-event-listener.connect-ingest-uri"].endswith("/v1/events")
    assert props["http-event-listener.log-created"] == "true"
    assert props["http-event-listener.log-completed"] == "true"
    # The credential is a reference to the pod's environment, never a value in a file.
    assert props["http-event-listener.connect-http-headers"] == (
        "Authorization: Bearer ${ENV:HAVRE_AUDIT_TOKEN}"
    )
    assert props["http-event-listener.http-client.trust-store-path"] == "/etc/trino/trust/ca.pem"


def test_coordinator_loads_the_listener_only_when_audited(cardio: ValidWorkspace) -> None:
    plain = parse_properties(render_coordinator_config(cardio, PLATFORM))
    audited = parse_properties(render_coordinator_config(cardio, AUDITED))
    assert "event-listener.config-files" not in plain
    assert audited["event-listener.config-files"] == "/etc/trino/event-listener.properties"


def test_only_the_coordinator_reads_the_audit_credential(cardio: ValidWorkspace) -> None:
    deployments = {
        m["metadata"]["name"]: m
        for m in render_trino(cardio, [SNDS], AUDITED)
        if m["kind"] == "Deployment"
    }

    def secrets(name: str) -> set[str]:
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        return {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]}

    assert AUDIT_SECRET in secrets("trino-coordinator")
    assert AUDIT_SECRET not in secrets("trino-worker")


def test_each_workspace_trino_has_its_own_environment(cardio: ValidWorkspace) -> None:
    maps = {
        m["metadata"]["name"]: m
        for m in render_trino(cardio, [], AUDITED)
        if m["kind"] == "ConfigMap"
    }
    node = parse_properties(maps["trino-coordinator-config"]["data"]["node.properties"])
    assert node["node.environment"] == "havre_cardio"


def test_the_audit_secret_holds_the_credential_of_this_workspace_uid(
    cardio: ValidWorkspace,
) -> None:
    key = "k" * 48
    cardio = dataclasses.replace(cardio, uid="11111111-0000-4000-8000-000000000001")
    secret = render_audit_secret(cardio, key)
    assert (secret["metadata"]["name"], secret["metadata"]["namespace"]) == (
        AUDIT_SECRET,
        "ws-cardio",
    )
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert verify_credential(key, token) == Caller("workspace", cardio.uid)
    namesake = dataclasses.replace(cardio, uid="22222222-0000-4000-8000-000000000002")
    assert render_audit_secret(namesake, key)["data"] != secret["data"]
