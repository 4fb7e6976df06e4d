"""Each workspace's route from outside: a TLSRoute or an Ingress passing TLS through to its
Trino, or nothing; the host name is also in Trino's certificate."""

from __future__ import annotations

import pytest

from havre.pipeline.render.access_route import external_url, render_access_route, route_kind
from havre.pipeline.render.trino import dns_names
from havre.pipeline.validate import ValidWorkspace
from havre.settings import AccessSettings, Settings, SettingsError, load_settings
from tests.unit.conftest import assert_golden

HOST = "{workspace}.trino.havre.example"


def test_no_route_by_default_so_only_port_forward_reaches_trino(cardio: ValidWorkspace) -> None:
    access = AccessSettings()
    assert render_access_route(cardio, access, 8443) == []
    assert route_kind(access) is None
    assert external_url(access, "cardio") is None


def test_tlsroute_attaches_to_the_gateway_and_passes_tls_to_trino(cardio: ValidWorkspace) -> None:
    access = AccessSettings(
        route="tlsroute", hostname=HOST, gateway="havre-gateway/public", gateway_listener="tls"
    )
    [route] = render_access_route(cardio, access, 8443)
    assert route["kind"] == "TLSRoute"
    assert route["metadata"]["namespace"] == "ws-cardio"
    assert route["spec"]["hostnames"] == ["cardio.trino.havre.example"]
    assert route["spec"]["parentRefs"][0]["namespace"] == "havre-gateway"
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "trino", "port": 8443}]
    assert external_url(access, "cardio") == "https://cardio.trino.havre.example"
    assert_golden("access-tlsroute", route)


def test_ingress_carries_the_controllers_passthrough_annotation_and_no_tls_section(
    cardio: ValidWorkspace,
) -> None:
    access = AccessSettings(
        route="ingress",
        hostname="trino-{workspace}.hospital.example",
        ingress_class="nginx",
        ingress_annotations={"nginx.ingress.kubernetes.io/ssl-passthrough": "true"},
    )
    [ingress] = render_access_route(cardio, access, 8443)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert "tls" not in ingress["spec"]
    assert ingress["spec"]["rules"][0]["host"] == "trino-cardio.hospital.example"
    assert_golden("access-ingress", ingress)


def test_route_host_is_named_in_the_trino_certificate() -> None:
    settings = Settings.model_validate(
        {
            "storage": {"url": "https://s3.example:9000", "access_key": "adm", "secret_key": "x"},
            "catalog": {"host": "pg.example", "user": "adm", "password": "x"},
            "trino": {
                "identity_issuer": "https://id/realms/h",
                "identity_jwks_url": "https://id/j",
            },
            "access": {"route": "tlsroute", "hostname": HOST, "gateway": "gw/public"},
        }
    )
    assert "cardio.trino.havre.example" in dns_names(settings, "cardio")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HAVRE_ACCESS_ROUTE": "tlsroute"}, "route tlsroute needs a hostname"),
        (
            {"HAVRE_ACCESS_ROUTE": "ingress", "HAVRE_ACCESS_HOSTNAME": "trino.example"},
            "hostname must contain {workspace}",
        ),
        (
            {"HAVRE_ACCESS_ROUTE": "tlsroute", "HAVRE_ACCESS_HOSTNAME": HOST},
            "needs gateway",
        ),
        ({"HAVRE_ACCESS_ROUTE": "httproute"}, "access.route"),
    ],
)
def test_incomplete_route_settings_stop_the_operator_naming_the_setting(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_settings(environ)
