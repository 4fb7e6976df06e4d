"""The configuration files of a workspace's Trino 476, as text.

Every key here was checked against Trino 476 itself (its jars, and a real server that
refuses unknown keys at start). No secret is ever written into these files: credentials
are ``${ENV:NAME}`` references that Trino resolves from the pod's environment, which
``trino_workloads.py`` fills from Secrets. Paths are those of the container
(``/etc/trino``, ``/etc/trino-tls``, ``/data/trino``); the local test run maps them.

TLS: clients reach the coordinator over HTTPS on ``port`` with the workspace certificate
(Secret ``havre-trino-tls``, key ``tls-combined.pem``: private key then certificate chain,
the form Trino's PEM keystore reads). Nodes talk to each other over HTTPS too, with the
certificates Trino derives from the internal shared secret for each node's IP address
(``internal-communication.https.required``); this is why discovery goes through a headless
Service, whose name resolves to the coordinator pod's own IP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from havre.api import names
from havre.api.quantity import parse_quantity
from havre.pipeline.render.trino_access import (
    WORKSPACE_CATALOG,
    WORKSPACE_READONLY_CATALOG,
    GrantedCatalog,
)
from havre.pipeline.validate import ValidWorkspace

ETC_DIR = "/etc/trino"
DATA_DIR = "/data/trino"
TLS_DIR = "/etc/trino-tls"
KEYSTORE_FILE = "tls-combined.pem"
CATALOG_DIR = f"{ETC_DIR}/catalog"
ACCESS_DIR = f"{ETC_DIR}/access"
TRUST_DIR = f"{ETC_DIR}/trust"
CA_BUNDLE_FILE = "ca.pem"
#: The same CAs as a Java trust store (trino_truststore.py), for the S3 client's TLS.
TRUSTSTORE_FILE = "truststore.jks"
RULES_FILE = "rules.json"
GROUP_FILE = "group.txt"
#: Environment variables the pods get from Secrets; the files only name them.
ENV_SHARED_SECRET = "TRINO_SHARED_SECRET"  # noqa: S105 - a variable name
ENV_S3_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_S3_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name
ENV_DB_USER = "CATALOG_DB_USER"
ENV_DB_PASSWORD = "CATALOG_DB_PASSWORD"  # noqa: S105 - a variable name
ENV_AUDIT_TOKEN = "HAVRE_AUDIT_TOKEN"  # noqa: S105 - a variable name
EVENT_LISTENER_FILE = "event-listener.properties"
#: The Service whose DNS name resolves to the coordinator pod's IP (clusterIP: None).
DISCOVERY_SERVICE = "trino-discovery"
#: The user a worker's preStop hook acts as to start a graceful shutdown.
SHUTDOWN_USER = "havre-shutdown"
HEAP_FRACTION = 0.75
#: JMX beans the coordinator exports at ``/metrics`` (OpenMetrics): queries started,
#: finished and failed, and the CPU time they consumed (docs/observability.md). Only the
#: coordinator runs QueryManager; nothing in these beans names a user or a query.
METRICS_BEANS = ("trino.execution:name=QueryManager",)
#: Trino's recommended JVM flags (its Docker image's jvm.config), minus heap dumps: a dump
#: of a node's memory holds query data, and the root file system is read-only anyway.
JVM_FLAGS = (
    "-XX:G1HeapRegionSize=32M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=512M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
    "-XX:+EnableDynamicAgentLoading",
)


@dataclass(frozen=True)
class TrinoPlatform:
    """What every workspace's Trino needs to know about the platform around it."""

    #: S3 API of the object store, e.g. ``http://minio.havre-system.svc:9000``.
    object_store_url: str
    #: PostgreSQL server holding the Iceberg JDBC catalogs.
    catalog_db_host: str
    #: Issuer of the identity provider's tokens (``iss``), e.g. ``https://id.example/realms/havre``.
    identity_issuer: str
    #: Where Trino fetches the issuer's signing keys (the realm's JWKS URL).
    identity_jwks_url: str
    catalog_db_port: int = 5432
    #: PostgreSQL JDBC ``sslmode``: the catalog credentials travel only to a server whose
    #: certificate chains to ``ca_bundle`` (or the JVM's CAs) and names the host.
    catalog_db_ssl_mode: str = "verify-full"
    object_store_region: str = "us-east-1"
    #: The ``aud`` a token must carry to be accepted.
    identity_audience: str = "trino"
    #: PEM CA bundle that signs the identity provider's (and the catalog database's)
    #: certificates, when they are not signed by a CA the JVM already trusts.
    ca_bundle: str | None = None
    image: str = "trinodb/trino:476"
    port: int = 8443
    #: Base URL of the audit receiver (docs/audit.md); None renders no event listener.
    audit_url: str | None = None
    #: Retries of one event by Trino's HTTP event listener, and the longest wait between
    #: two (1 s, doubling): with 360 and 10 s a receiver may be away about an hour.
    audit_retry_count: int = 360
    audit_max_delay_seconds: int = 10
    #: True when the gateway in front of Trino sets X-Forwarded-* headers Trino should honour.
    gateway_forwarded: bool = False
    #: Trino waits this long before and after draining a worker's tasks (shutdown.grace-period).
    worker_shutdown_grace_seconds: int = 30
    #: Time Kubernetes gives a stopping worker: two grace periods plus the longest query.
    worker_termination_grace_seconds: int = 600
    #: The Trino user allowed to read ``/metrics`` (system information) and nothing else;
    #: None: nobody may.
    metrics_user: str | None = None

    def __repr__(self) -> str:  # the CA bundle is long and says nothing useful in a log
        return f"TrinoPlatform(image={self.image!r}, issuer={self.identity_issuer!r})"


def properties(values: Mapping[str, str]) -> str:
    """A Java properties file, one ``key=value`` per line in the given order."""
    return "".join(f"{key}={value}\n" for key, value in values.items())


def heap_megabytes(ws: ValidWorkspace) -> int:
    """Java heap of a node: 75% of its memory, leaving the rest to the JVM and the OS."""
    return int(parse_quantity(ws.size.memory) * 3 // 4 // 2**20)


def render_jvm_config(ws: ValidWorkspace, platform: TrinoPlatform | None = None) -> str:
    """``jvm.config``: one flag per line, the heap sized from ``size.memory``; with a
    platform CA bundle, the JVM trusts exactly those CAs (the object store's TLS)."""
    flags = ["-server", f"-Xmx{heap_megabytes(ws)}M", *JVM_FLAGS]
    if platform is not None and platform.ca_bundle is not None:
        flags += [
            f"-Djavax.net.ssl.trustStore={TRUST_DIR}/{TRUSTSTORE_FILE}",
            "-Djavax.net.ssl.trustStoreType=JKS",
        ]
    return "\n".join(flags) + "\n"


def render_node_properties(ws: ValidWorkspace) -> str:
    """``node.properties``; ``node.id`` is left out: the image's launcher sets it from the
    pod name, which is unique and changes with each pod. The environment names the
    workspace: every query event carries it (the audit receiver checks it)."""
    return properties(
        {"node.environment": names.trino_environment(ws.name), "node.data-dir": DATA_DIR}
    )


def render_log_properties() -> str:
    """``log.properties``: INFO for Trino; nothing there logs query results or secrets.

    The configuration dump at start (logger ``Bootstrap``) is kept to warnings: Trino 476
    prints ``http-event-listener.connect-http-headers`` unredacted, with the resolved
    audit credential in it."""
    return properties({"io.trino": "INFO", "Bootstrap": "WARN"})


def _common_server(ws: ValidWorkspace, platform: TrinoPlatform) -> dict[str, str]:
    discovery = f"{DISCOVERY_SERVICE}.{names.namespace(ws.name)}.svc"
    return {
        "http-server.http.enabled": "false",
        "http-server.https.enabled": "true",
        "http-server.https.port": str(platform.port),
        "discovery.uri": f"https://{discovery}:{platform.port}",
        "internal-communication.shared-secret": f"${{ENV:{ENV_SHARED_SECRET}}}",
        "internal-communication.https.required": "true",
        # Catalogs come from files only: CREATE CATALOG would bypass every rule here.
        "catalog.management": "static",
    }


def render_coordinator_config(ws: ValidWorkspace, platform: TrinoPlatform) -> str:
    """``config.properties`` of the coordinator: HTTPS with the workspace certificate, JWT
    sign-in, file-based access control; it runs tasks itself only when there is no worker."""
    values = {
        "coordinator": "true",
        "node-scheduler.include-coordinator": str(ws.size.workers == 0).lower(),
        **_common_server(ws, platform),
        "http-server.https.keystore.path": f"{TLS_DIR}/{KEYSTORE_FILE}",
        "http-server.authentication.type": "JWT",
        "http-server.authentication.jwt.key-file": platform.identity_jwks_url,
        "http-server.authentication.jwt.required-issuer": platform.identity_issuer,
        "http-server.authentication.jwt.required-audience": platform.identity_audience,
        "http-server.authentication.jwt.principal-field": "preferred_username",
        # The web UI cannot take a bearer token; clients (JDBC, Python, DBeaver) can.
        "web-ui.enabled": "false",
        # /metrics serves these beans to a caller allowed system information (the scraper).
        "openmetrics.jmx-object-names": "|".join(METRICS_BEANS),
    }
    if platform.ca_bundle is not None:
        values["jwk.http-client.trust-store-path"] = f"{TRUST_DIR}/{CA_BUNDLE_FILE}"
    if platform.gateway_forwarded:
        values["http-server.process-forwarded"] = "true"
    if platform.audit_url is not None:
        values["event-listener.config-files"] = f"{ETC_DIR}/{EVENT_LISTENER_FILE}"
    return properties(values)


def render_event_listener_properties(platform: TrinoPlatform) -> str:
    """``event-listener.properties`` of the coordinator: Trino's HTTP event listener posts
    each query's created and completed events to the audit receiver, over HTTPS verified
    with the platform CA, with the workspace's credential (from the pod's environment).

    The listener keeps an event in memory and retries it on a connection failure or a
    5xx/408/429 answer, ``audit_retry_count`` times, waiting 1 s, then twice as long each
    time up to ``audit_max_delay_seconds``; then it logs the loss (docs/audit.md).
    """
    assert platform.audit_url is not None
    values = {
        "event-listener.name": "http",
        "http-event-listener.log-created": "true",
        "http-event-listener.log-completed": "true",
        "http-event-listener.log-split": "false",
        "http-event-listener.connect-ingest-uri": f"{platform.audit_url.rstrip('/')}/v1/events",
        "http-event-listener.connect-http-headers": (
            f"Authorization: Bearer ${{ENV:{ENV_AUDIT_TOKEN}}}"
        ),
        "http-event-listener.connect-retry-count": str(platform.audit_retry_count),
        "http-event-listener.connect-retry-delay": "1s",
        "http-event-listener.connect-backoff-base": "2",
        "http-event-listener.connect-max-delay": f"{platform.audit_max_delay_seconds}s",
    }
    if platform.ca_bundle is not None:
        values["http-event-listener.http-client.trust-store-path"] = f"{TRUST_DIR}/{CA_BUNDLE_FILE}"
    return properties(values)


def render_worker_config(ws: ValidWorkspace, platform: TrinoPlatform) -> str:
    """``config.properties`` of a worker: internal HTTPS only, and a graceful shutdown that
    lets running tasks finish when the pod stops."""
    return properties(
        {
            "coordinator": "false",
            **_common_server(ws, platform),
            "shutdown.grace-period": f"{platform.worker_shutdown_grace_seconds}s",
        }
    )


def render_access_control_properties(rules_path: str) -> str:
    """``access-control.properties``: file-based rules, read once at start (a change of the
    rules rolls the coordinator through its checksum)."""
    return properties({"access-control.name": "file", "security.config-file": rules_path})


#: How often the coordinator re-reads the group file (Trino's default, stated).
GROUP_REFRESH = "5s"


def render_group_provider_properties() -> str:
    """``group-provider.properties``: groups from the rendered group file, re-read every
    ``GROUP_REFRESH``, so a change of members needs no restart."""
    return properties(
        {
            "group-provider.name": "file",
            "file.group-file": f"{ACCESS_DIR}/{GROUP_FILE}",
            "file.refresh-period": GROUP_REFRESH,
        }
    )


def _jdbc_url(platform: TrinoPlatform, database: str) -> str:
    """The catalog database's JDBC URL: TLS verified against the platform CA bundle when
    there is one, else against the JVM's own CAs (pgjdbc would look for a root certificate
    in the home directory)."""
    url = f"jdbc:postgresql://{platform.catalog_db_host}:{platform.catalog_db_port}/{database}"
    params = [f"sslmode={platform.catalog_db_ssl_mode}"]
    if platform.catalog_db_ssl_mode in ("verify-ca", "verify-full"):
        if platform.ca_bundle is not None:
            params.append(f"sslrootcert={TRUST_DIR}/{CA_BUNDLE_FILE}")
        else:
            params.append("sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory")
    return url + "?" + "&".join(params)


def _iceberg_catalog(
    platform: TrinoPlatform, database: str, catalog_name: str, warehouse: str
) -> dict[str, str]:
    return {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "jdbc",
        "iceberg.jdbc-catalog.driver-class": "org.postgresql.Driver",
        "iceberg.jdbc-catalog.connection-url": _jdbc_url(platform, database),
        "iceberg.jdbc-catalog.connection-user": f"${{ENV:{ENV_DB_USER}}}",
        "iceberg.jdbc-catalog.connection-password": f"${{ENV:{ENV_DB_PASSWORD}}}",
        "iceberg.jdbc-catalog.catalog-name": catalog_name,
        "iceberg.jdbc-catalog.default-warehouse-dir": warehouse,
        "iceberg.jdbc-catalog.schema-version": "V1",
        # Both procedures attach files by path, outside the catalog's own tables.
        "iceberg.register-table-procedure.enabled": "false",
        "iceberg.add-files-procedure.enabled": "false",
        # A new table never reuses a dropped table's directory (and its leftover files).
        "iceberg.unique-table-location": "true",
        "fs.native-s3.enabled": "true",
        "s3.endpoint": platform.object_store_url,
        "s3.region": platform.object_store_region,
        "s3.path-style-access": "true",
        "s3.aws-access-key": f"${{ENV:{ENV_S3_ACCESS_KEY}}}",
        "s3.aws-secret-key": f"${{ENV:{ENV_S3_SECRET_KEY}}}",
    }


def render_workspace_catalog(
    ws: ValidWorkspace, platform: TrinoPlatform, read_only: bool = False
) -> str:
    """``workspace.properties``: the workspace's Iceberg catalog, held in its own database,
    its files in its own bucket. ``read_only`` renders ``workspace_readonly``: the same
    tables through a connector that refuses every write and table procedure."""
    values = _iceberg_catalog(
        platform, names.database(ws.name), WORKSPACE_CATALOG, f"s3://{names.bucket(ws.name)}/"
    )
    if read_only:
        values["iceberg.security"] = "read_only"
    return properties(values)


def render_dataset_catalog(grant: GrantedCatalog, platform: TrinoPlatform) -> str:
    """``<catalog>.properties`` of a granted dataset: read-only in the connector itself
    (``iceberg.security=read_only`` refuses every write and procedure before any access
    rule is consulted). Its JDBC catalog name is the dataset's name, as published."""
    values = _iceberg_catalog(
        platform, grant.database, grant.dataset, f"s3://{grant.bucket}/{grant.prefix}/"
    )
    values["iceberg.security"] = "read_only"
    return properties(values)


def render_catalogs(
    ws: ValidWorkspace, grants: Iterable[GrantedCatalog], platform: TrinoPlatform
) -> dict[str, str]:
    """File name -> text of every catalog: ``workspace``, ``workspace_readonly`` and one
    per active grant."""
    files = {
        f"{WORKSPACE_CATALOG}.properties": render_workspace_catalog(ws, platform),
        f"{WORKSPACE_READONLY_CATALOG}.properties": render_workspace_catalog(
            ws, platform, read_only=True
        ),
    }
    for grant in sorted(set(grants)):
        files[f"{grant.catalog_name}.properties"] = render_dataset_catalog(grant, platform)
    return files
