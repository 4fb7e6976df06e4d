"""charts/havre passes helm lint --strict, ct lint and kubeconform -strict offline, refuses
wrong values with its schema's message, renders settings the operator accepts, and is
accepted by the real API server (server-side dry run)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from devstack.kube_schemas import write_crd_schemas
from havre.metrics.trino import keep_regex
from havre.settings import load_settings
from tests.integration.chart import (
    CHART,
    CI_VALUES,
    ROOT,
    SKIPPED_KINDS,
    ChartTools,
    chart_tools,
    documents,
    settings_file,
)
from tests.integration.conftest import Kube, Platform
from tests.integration.helpers import kubectl

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tools(platform: Platform) -> ChartTools:
    return chart_tools(platform("helm"), platform("kubeconform"), platform("ct"))


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_helm_lint_strict_passes(tools: ChartTools, values: Path) -> None:
    result = tools.helm_cmd("lint", "--strict", str(CHART), "-f", str(values))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_ct_lint_passes_chart_yaml_values_and_each_ci_values_file(tools: ChartTools) -> None:
    result = tools.run(
        tools.ct,
        "lint",
        "--charts",
        str(CHART.relative_to(ROOT)),
        "--validate-maintainers=false",
        "--skip-helm-dependencies",
        "--chart-yaml-schema",
        "charts/lint/chart_schema.yaml",
        "--lint-conf",
        "charts/lint/lintconf.yaml",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All charts linted successfully" in result.stdout
    for values in CI_VALUES:
        assert f'values file "charts/havre/ci/{values.name}"' in result.stdout
    assert "warning" not in result.stdout, result.stdout  # yamllint is clean, not just passing


@pytest.fixture(scope="module")
def crd_schemas(tools: ChartTools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Strict schemas of the chart's own CRDs, generated from the CRDs it renders."""
    target = tmp_path_factory.mktemp("crd-schemas")
    crds = [
        d for d in documents(tools.template("havre")) if d["kind"] == "CustomResourceDefinition"
    ]
    assert write_crd_schemas(crds, target)
    return target


def _kubeconform(tools: ChartTools, crd_schemas: Path, manifests: str) -> str:
    result = tools.run(
        tools.kubeconform,
        "-strict",
        "-summary",
        "-schema-location",
        f"{tools.schemas}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
        "-schema-location",
        f"{crd_schemas}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
        "-skip",
        ",".join(SKIPPED_KINDS),
        "-",
        stdin=manifests,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_rendered_chart_passes_kubeconform_strict(
    tools: ChartTools, crd_schemas: Path, values: Path
) -> None:
    rendered = tools.template("havre", "-f", str(values))
    kinds = [d["kind"] for d in documents(rendered)]
    summary = _kubeconform(tools, crd_schemas, rendered)
    assert "Invalid: 0, Errors: 0" in summary, summary
    # One per object skipped (two ServiceMonitors: the operator's and the receiver's).
    skipped = len([k for k in kinds if k in SKIPPED_KINDS])
    assert f"Skipped: {skipped}" in summary or skipped == 0, summary


def test_kubeconform_rejects_an_unknown_field_so_the_check_can_fail(
    tools: ChartTools, crd_schemas: Path
) -> None:
    rendered = tools.template("havre").replace(
        "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: true\n            readOnly: true"
    )
    result = tools.run(
        tools.kubeconform,
        "-strict",
        "-schema-location",
        f"{tools.schemas}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
        "-",
        stdin=rendered,
    )
    assert result.returncode != 0
    assert "additional properties 'readOnly' not allowed" in result.stdout


def test_example_objects_pass_the_schemas_generated_from_the_crds(
    tools: ChartTools, crd_schemas: Path
) -> None:
    examples = "\n---\n".join(
        p.read_text() for p in sorted((ROOT / "workspaces" / "examples").glob("*.yaml"))
    )
    summary = _kubeconform(tools, crd_schemas, examples)
    assert "Invalid: 0, Errors: 0, Skipped: 0" in summary, summary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            [
                "--set",
                "objectStore.enabled=true",
                "--set",
                "objectStore.url=https://s3.example",
                "--set",
                "objectStore.credentialsSecret.name=s3-admin",
            ],
            "at '/objectStore': missing property 'egress'",
            id="missing-egress-endpoint",
        ),
        pytest.param(
            [
                "--set",
                "catalogDatabase.enabled=true",
                "--set",
                "catalogDatabase.egress.cidr=10.0.0.1/32",
                "--set",
                "catalogDatabase.egress.port=5432",
                "--set",
                "catalogDatabase.credentialsSecret.name=pg",
            ],
            "at '/catalogDatabase': missing property 'host'",
            id="missing-catalog-host",
        ),
        pytest.param(
            ["--set", "operator.replicas=-1"],
            "at '/operator/replicas': minimum: got -1, want 1",
            id="negative-replicas",
        ),
        pytest.param(
            ["--set", "operator.resources.requests.memory=-512Mi"],
            "at '/operator/resources/requests/memory': '-512Mi' does not match pattern",
            id="negative-memory",
        ),
        pytest.param(
            ["--set", "operator.replica=2"],
            "at '/operator': additional properties 'replica' not allowed",
            id="unknown-key",
        ),
        pytest.param(
            ["--set", "storageClass=fast"],
            "at '': additional properties 'storageClass' not allowed",
            id="unknown-top-level-key",
        ),
        pytest.param(
            ["--set", "trino.enabled=true"],
            "at '/identityProvider': missing properties 'issuer', 'jwksUrl', 'egress'",
            id="trino-without-identity-provider",
        ),
        pytest.param(
            [
                "--set",
                "access.route=tlsroute",
                "--set-json",
                'access.hostname="{workspace}.trino.example"',
            ],
            "at '/access/gateway': minLength: got 0, want 1",
            id="tlsroute-without-gateway",
        ),
        pytest.param(
            [
                "--set",
                "identityProvider.groups.enabled=true",
                "--set",
                "identityProvider.groups.url=http://id.example",
            ],
            "at '/identityProvider/groups/url': 'http://id.example' does not match pattern",
            id="identity-groups-over-plain-http",
        ),
        pytest.param(
            [
                "--set",
                "audit.enabled=true",
                "--set",
                "audit.tls.secret=havre-audit-tls",
                "--set-json",
                'audit.egress={"cidr":"10.244.0.0/16","port":8443}',
            ],
            "at '/audit/keySecret/name': minLength: got 0, want 1",
            id="audit-without-key-secret",
        ),
        pytest.param(
            [
                "--set",
                "audit.enabled=true",
                "--set",
                "audit.keySecret.name=havre-audit-key",
                "--set",
                "audit.tls.secret=havre-audit-tls",
                "--set-json",
                'audit.egress={"cidr":"10.244.0.0/16","port":8443}',
            ],
            "at '/objectStore/enabled': value must be true",
            id="audit-without-object-store",
        ),
        pytest.param(
            ["--set", "audit.enabled=true", "--set", "audit.keySecret.name=havre-audit-key"],
            "at '/audit': missing property 'egress'",
            id="audit-without-egress-endpoint",
        ),
        pytest.param(
            ["--set", "access.route=httproute"],
            "at '/access/route': value must be one of 'none', 'tlsroute', 'ingress'",
            id="unknown-route",
        ),
    ],
)
def test_wrong_values_fail_with_the_schema_message(
    tools: ChartTools, args: list[str], message: str
) -> None:
    result = tools.helm_cmd("template", "havre", str(CHART), *args)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert message in result.stderr, result.stderr


def test_operator_accepts_the_settings_the_chart_renders(tools: ChartTools, tmp_path: Path) -> None:
    rendered = tools.template("havre", "-f", str(CHART / "ci" / "full-values.yaml"))
    config = tmp_path / "config.yaml"
    config.write_text(settings_file(rendered))
    # The credentials arrive as environment variables from the Secrets, as in the pod.
    settings = load_settings(
        {
            "HAVRE_CONFIG": str(config),
            "HAVRE_STORAGE_ACCESS_KEY": "admin",
            "HAVRE_STORAGE_SECRET_KEY": "secret",
            "HAVRE_CATALOG_USER": "havre",
            "HAVRE_CATALOG_PASSWORD": "secret",
            "HAVRE_IDENTITY_CLIENT_SECRET": "secret",
        }
    )
    assert settings.identity is not None and settings.identity.url == "https://id.example.fr"
    assert settings.operator_service_account == "havre/havre"
    assert settings.access.route == "tlsroute"
    assert settings.access.host("cardio") == "cardio.trino.havre.example.fr"
    assert settings.object_store is not None and settings.object_store.port == 443
    assert settings.trino is not None and settings.trino.tls_ca_secret == "havre/havre-platform-ca"
    # Every CA file the settings name is mounted in the operator's container.
    [deployment] = [d for d in documents(rendered) if d["kind"] == "Deployment"]
    mounts = {
        m["mountPath"]
        for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    for path in (settings.storage.ca_file, settings.catalog.ca_file, settings.trino.ca_bundle_file):  # type: ignore[union-attr]
        assert path is not None and str(Path(path).parent) in mounts


def test_audit_receiver_and_operator_accept_the_settings_the_chart_renders(
    tools: ChartTools, tmp_path: Path
) -> None:
    rendered = tools.template("havre", "-f", str(CHART / "ci" / "audit-values.yaml"))
    docs = documents(rendered)
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    operator = deployments["havre-operator"]["spec"]["template"]["spec"]["containers"][0]
    receiver_pod = deployments["havre-audit"]["spec"]["template"]["spec"]
    [receiver] = receiver_pod["containers"]
    key = {"HAVRE_AUDIT_KEY": "k" * 32}
    # Operator: the receiver's Service URL, the egress endpoint, the key from the Secret.
    (tmp_path / "operator.yaml").write_text(settings_file(rendered))
    settings = load_settings(
        {
            "HAVRE_CONFIG": str(tmp_path / "operator.yaml"),
            "HAVRE_STORAGE_ACCESS_KEY": "admin",
            "HAVRE_STORAGE_SECRET_KEY": "secret",
            **key,
        }
    )
    assert settings.audit is not None and settings.audit_receiver is not None
    assert settings.audit.receiver_url == "https://havre-audit.havre.svc:8443"
    assert (settings.audit_receiver.cidr, settings.audit_receiver.port) == ("10.244.0.0/16", 8443)
    # Receiver: the same key Secret, its own object store keys, its TLS files mounted.
    (tmp_path / "audit.yaml").write_text(settings_file(rendered, "audit"))
    served = load_settings(
        {
            "HAVRE_CONFIG": str(tmp_path / "audit.yaml"),
            "HAVRE_STORAGE_ACCESS_KEY": "audit",
            "HAVRE_STORAGE_SECRET_KEY": "secret",
            **key,
        }
    )
    assert served.audit is not None and served.storage is not None
    assert served.audit.listen == "0.0.0.0:8443" and served.audit.metrics_port == 9102

    def secret_of(container: dict[str, object], name: str) -> dict[str, str]:
        [env] = [e for e in container["env"] if e["name"] == name]  # type: ignore[attr-defined]
        ref: dict[str, str] = env["valueFrom"]["secretKeyRef"]
        return ref

    assert secret_of(operator, "HAVRE_AUDIT_KEY") == secret_of(receiver, "HAVRE_AUDIT_KEY")
    assert secret_of(receiver, "HAVRE_AUDIT_KEY") == {"name": "havre-audit-key", "key": "key"}
    assert secret_of(receiver, "HAVRE_STORAGE_ACCESS_KEY")["name"] == "havre-audit-object-store"
    mounts = {m["mountPath"] for m in receiver["volumeMounts"]}
    for path in (served.audit.tls_cert_file, served.audit.tls_key_file, served.storage.ca_file):
        assert path is not None and str(Path(path).parent) in mounts
    operator_mounts = {m["mountPath"] for m in operator["volumeMounts"]}
    assert settings.audit.ca_file is not None
    assert str(Path(settings.audit.ca_file).parent) in operator_mounts
    # One image, restricted, probed where the receiver answers.
    assert receiver["image"] == operator["image"]
    assert receiver["securityContext"]["readOnlyRootFilesystem"] is True
    assert receiver_pod["securityContext"]["runAsNonRoot"] is True
    probe = receiver["readinessProbe"]["httpGet"]
    assert (probe["path"], probe["scheme"], probe["port"]) == ("/healthz", "HTTPS", "https")
    # Its own service account, which may only list what it looks up.
    assert receiver_pod["serviceAccountName"] == "havre-audit"
    [role] = [
        d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "havre-audit"
    ]
    assert {v for r in role["rules"] for v in r["verbs"]} == {"list"}
    [monitor] = [
        d for d in docs if d["kind"] == "ServiceMonitor" and d["metadata"]["name"] == "havre-audit"
    ]
    assert monitor["spec"]["endpoints"][0]["relabelings"][0]["replacement"] == "havre-audit"
    assert "kind: Secret\n" not in rendered and "k" * 32 not in rendered


def test_operator_workspace_role_covers_the_audit_secret_it_renders(tools: ChartTools) -> None:
    # The operator writes Secret havre-audit in each workspace namespace (render/audit.py)
    # through the RoleBinding of havre-operator-workspace there.
    [role] = [
        d
        for d in documents(tools.template("havre"))
        if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "havre-operator-workspace"
    ]
    verbs = {v for r in role["rules"] if "secrets" in r["resources"] for v in r["verbs"]}
    assert {"get", "create", "patch", "delete"} <= verbs


def test_secrets_never_appear_in_rendered_values(tools: ChartTools) -> None:
    rendered = tools.template("havre", "-f", str(CHART / "ci" / "full-values.yaml"))
    assert "kind: Secret" not in rendered
    [deployment] = [d for d in documents(rendered) if d["kind"] == "Deployment"]
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    credentials = [
        e for e in env if "KEY" in e["name"] or "PASSWORD" in e["name"] or "USER" in e["name"]
    ]
    assert credentials and all("secretKeyRef" in e["valueFrom"] for e in credentials)


def test_two_releases_share_only_the_cluster_wide_api_objects(tools: ChartTools) -> None:
    def keys(rendered: str) -> set[tuple[str, str, str]]:
        return {
            (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
            for d in documents(rendered)
        }

    first = keys(tools.template("havre", namespace="havre"))
    second = keys(
        tools.template(
            "havre-b",
            "--set",
            "crds.create=false",
            "--set",
            "personas.create=false",
            "--set",
            "admissionPolicies.create=false",
            "--set",
            "sizeProfiles.create=false",
            namespace="havre",  # same namespace: even there, nothing clashes
        )
    )
    assert first & second == set()
    assert any(k[0] == "ClusterRole" and k[2].startswith("havre-b") for k in second)


def test_chart_renders_the_crds_folder_unchanged_but_for_labels_and_keep(tools: ChartTools) -> None:
    rendered = {
        d["metadata"]["name"]: d
        for d in documents(tools.template("havre"))
        if d["kind"] == "CustomResourceDefinition"
    }
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        for source in (d for d in yaml.safe_load_all(path.read_text()) if d):
            if source["kind"] != "CustomResourceDefinition":
                continue
            chart = rendered.pop(source["metadata"]["name"])
            assert chart["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
            assert chart["spec"] == source["spec"], source["metadata"]["name"]
    assert rendered == {}, f"CRDs not from crds/: {sorted(rendered)}"


def test_operator_cluster_role_holds_exactly_crds_rules_plus_peering(tools: ChartTools) -> None:
    source = next(
        d
        for d in yaml.safe_load_all((ROOT / "crds" / "operator-rbac.yaml").read_text())
        if d and d["kind"] == "ClusterRole"
    )
    [role] = [
        d
        for d in documents(tools.template("havre"))
        if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "havre-operator"
    ]
    extra = [r for r in role["rules"] if r not in source["rules"]]
    assert role["rules"][: len(source["rules"])] == source["rules"]
    assert {g for r in extra for g in r["apiGroups"]} == {"kopf.dev"}


@pytest.fixture(scope="module")
def dry_run_namespace(kube: Kube) -> Iterator[str]:
    # A name of its own each run: a namespace of an earlier run may still be terminating.
    name = f"havre-chart-dry-run-{secrets.token_hex(3)}"
    created = kubectl(kube.kubeconfig, "create", "namespace", name)
    assert created.returncode == 0, created.stderr
    yield name
    kubectl(kube.kubeconfig, "delete", "namespace", name, "--wait=false")


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_api_server_accepts_the_rendered_chart_in_a_server_side_dry_run(
    tools: ChartTools, kube: Kube, dry_run_namespace: str, values: Path
) -> None:
    rendered = tools.template("havre-dry", "-f", str(values), namespace=dry_run_namespace)
    kept = [d for d in documents(rendered) if d["kind"] not in SKIPPED_KINDS]
    result = kubectl(
        kube.kubeconfig,
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=havre-chart-test",
        "--force-conflicts",
        "-f",
        "-",
        stdin=yaml.safe_dump_all(kept),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("(server dry run)") == len(kept), result.stdout


def test_monitoring_objects_carry_every_rule_and_dashboard_of_the_chart(
    tools: ChartTools,
) -> None:
    rendered = documents(tools.template("havre", "-f", str(CHART / "ci" / "full-values.yaml")))
    [rule] = [d for d in rendered if d["kind"] == "PrometheusRule"]
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    shipped = {
        r["alert"]
        for path in (CHART / "files" / "rules").glob("*.yaml")
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
    }
    assert alerts == shipped and shipped
    for g in rule["spec"]["groups"]:
        for r in g["rules"]:
            assert r["annotations"]["runbook_url"].startswith("https://havre.example.fr/docs/")
    dashboards = [
        d
        for d in rendered
        if d.get("metadata", {}).get("labels", {}).get("grafana_dashboard") == "1"
    ]
    names = {key for d in dashboards for key in d["data"]}
    assert names == {p.name for p in (CHART / "files" / "dashboards").glob("*.json")}
    monitors = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "PodMonitor"}
    [endpoint] = monitors["havre-operator"]["spec"]["podMetricsEndpoints"]
    assert {"targetLabel": "job", "replacement": "havre-operator"} in endpoint["relabelings"]
    # Each workspace Trino's /metrics: coordinators of any namespace, verified TLS, a
    # client-credentials token, series keeping the workspace only.
    trino = monitors["havre-trino"]["spec"]
    assert trino["namespaceSelector"] == {"any": True}
    assert trino["selector"]["matchLabels"]["app.kubernetes.io/component"] == "coordinator"
    [scrape] = trino["podMetricsEndpoints"]
    assert scrape["scheme"] == "https" and scrape["tlsConfig"]["ca"]["configMap"]["name"]
    assert "insecureSkipVerify" not in scrape["tlsConfig"]
    assert scrape["oauth2"]["tokenUrl"].startswith("https://")
    assert {"targetLabel": "job", "replacement": "havre-trino"} in scrape["relabelings"]
    assert scrape["metricRelabelings"] == [
        {"sourceLabels": ["__name__"], "action": "keep", "regex": keep_regex()},
        {"action": "labelkeep", "regex": "__name__|job|instance|workspace"},
    ]
