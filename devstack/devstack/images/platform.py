"""The images the local platform builds: pause, CoreDNS, a Debian base, the JDK, Trino 476.

Each comes from files this machine already has or builds: pause from the Kubernetes
module's own ``build/pause/linux/pause.c``, CoreDNS from its Go module, the JDK the stack
runs Keycloak and Trino with, and the Trino install with its plugins.
"""

from __future__ import annotations

from pathlib import Path

from devstack.images.spec import DebianBase, ImageSpec, Layer

REPOSITORY = "havre.local"
TRINO_UID = 1000
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: The base of every image with a shell: Python 3.11 (Trino's launcher, the operator),
#: curl (Trino workers' preStop hook), CA certificates.
BASE = DebianBase(suite="bookworm", packages=("python3", "curl", "ca-certificates"))
#: What the trinodb/trino image's ``run-trino`` does: a node id from the pod's name unless
#: the configuration sets one, then the launcher in the foreground.
RUN_TRINO = """#!/bin/bash
set -euo pipefail
launcher_opts=(--etc-dir /etc/trino)
if ! grep -s -q 'node.id' /etc/trino/node.properties; then
    launcher_opts+=("-Dnode.id=${HOSTNAME}")
fi
exec /usr/lib/trino/bin/launcher run "${launcher_opts[@]}" "$@"
"""
#: What the trinodb/trino image's ``health-check`` does: healthy once /v1/info (on the port
#: config.properties names, HTTPS when plain HTTP is off) says the server has started.
HEALTH_CHECK = r"""#!/bin/bash
set -euo pipefail
config=/etc/trino/config.properties
property() { grep "^$1=" "$config" | cut -d= -f2- || true; }
if [ "$(property http-server.http.enabled)" == "false" ]; then
    endpoint="https://localhost:$(property http-server.https.port)/v1/info"
else
    endpoint="http://localhost:$(property http-server.http.port)/v1/info"
fi
# The node's own certificate, on the pod's loopback: nothing to verify it against here.
info=$(curl --fail --silent --show-error --insecure --max-time 5 "$endpoint")
if ! grep -q '"starting":\s*false' <<<"$info"; then
    echo "Trino is starting" >&2
    exit 1
fi
"""


def pause_image(binary: Path, version: str) -> ImageSpec:
    """The sandbox image: upstream's pause program, static, as user 65535 (as upstream's)."""
    return ImageSpec(
        repository=f"{REPOSITORY}/pause",
        version=version,
        layers=(Layer(copies=((binary, "/pause"),)),),
        entrypoint=("/pause",),
        user="65535:65535",
    )


def coredns_image(binary: Path, version: str) -> ImageSpec:
    """CoreDNS, one static program (like upstream's image)."""
    return ImageSpec(
        repository=f"{REPOSITORY}/coredns",
        version=version.lstrip("v"),
        layers=(Layer(copies=((binary, "/coredns"),)),),
        entrypoint=("/coredns",),
    )


def base_image() -> ImageSpec:
    """Debian bookworm minbase with Python 3, curl and CA certificates."""
    return ImageSpec(repository=f"{REPOSITORY}/debian", version="bookworm", base=BASE)


def jdk_image(java_home: Path, version: str) -> ImageSpec:
    """The base plus the stack's JDK at /opt/java/openjdk (where Temurin's images put it)."""
    return ImageSpec(
        repository=f"{REPOSITORY}/jdk",
        version=version,
        base=base_image(),
        layers=(Layer(copies=((java_home, "/opt/java/openjdk"),)),),
        env=(
            ("JAVA_HOME", "/opt/java/openjdk"),
            ("PATH", f"/opt/java/openjdk/bin:{SYSTEM_PATH}"),
            ("LANG", "C.UTF-8"),
        ),
    )


def trino_image(jdk: ImageSpec, trino_home: Path, version: str) -> ImageSpec:
    """Trino laid out as the trinodb/trino image is: /usr/lib/trino, /etc/trino, /data/trino,
    user ``trino`` (1000), entrypoint ``run-trino``, ``bin/health-check``."""
    passwd = (
        "root:x:0:0:root:/root:/bin/bash\n"
        f"trino:x:{TRINO_UID}:{TRINO_UID}:trino:/home/trino:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    group = f"root:x:0:\ntrino:x:{TRINO_UID}:\nnogroup:x:65534:\n"
    return ImageSpec(
        repository=f"{REPOSITORY}/trino",
        version=version,
        base=jdk,
        layers=(
            Layer(copies=((trino_home / "lib", "/usr/lib/trino/lib"),)),
            Layer(
                copies=(
                    (trino_home / "plugin", "/usr/lib/trino/plugin"),
                    (trino_home / "bin", "/usr/lib/trino/bin"),
                ),
                files=(
                    ("/usr/lib/trino/bin/run-trino", RUN_TRINO, 0o755),
                    ("/usr/lib/trino/bin/health-check", HEALTH_CHECK, 0o755),
                    ("/etc/passwd", passwd, 0o644),
                    ("/etc/group", group, 0o644),
                ),
                directories=(
                    ("/etc/trino", 0o755, TRINO_UID),
                    ("/data/trino", 0o755, TRINO_UID),
                    ("/home/trino", 0o755, TRINO_UID),
                ),
            ),
        ),
        entrypoint=("/usr/lib/trino/bin/run-trino",),
        user=f"{TRINO_UID}:{TRINO_UID}",
        workdir="/data/trino",
    )
