"""The node's programs and images, built once into the cache.

- Debian packages: containerd 1.6, runc, the CNI plugins, umoci, nftables, iptables, ipset;
- ``pause``: upstream's ``build/pause/linux/pause.c`` from the ``k8s.io/kubernetes`` module
  the control plane is built from, compiled static with gcc (as upstream's Makefile does);
- CoreDNS and kube-router (the NetworkPolicy enforcer) with ``go install``;
- the images pods run: pause, CoreDNS, the Debian base, the JDK, Trino 476.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devstack import process, progress
from devstack.components.trino import VERSION as TRINO_VERSION
from devstack.components.trino import install_trino
from devstack.errors import ComponentError
from devstack.images import build_image, is_built
from devstack.images.platform import (
    base_image,
    coredns_image,
    jdk_image,
    pause_image,
    trino_image,
)
from devstack.images.spec import ImageSpec
from devstack.java import java_home
from devstack.paths import REPO_ROOT, cache_root
from devstack.toolchain import apt_install, dpkg_version, go_install

PACKAGES = {
    "containerd": "/usr/bin/containerd",
    "runc": "/usr/sbin/runc",
    "containernetworking-plugins": "/usr/lib/cni/bridge",
    "umoci": "/usr/bin/umoci",
    "nftables": "/usr/sbin/nft",
    "iptables": "/usr/sbin/iptables",
    "ipset": "/usr/sbin/ipset",
}
PAUSE_VERSION = "3.10.1"  # build/pause/Makefile's TAG in Kubernetes 1.34
COREDNS_MODULE, COREDNS_VERSION = "github.com/coredns/coredns", "v1.14.7"
#: kube-router as a firewall only, built from the wrapper module ``devstack/kube-router``
#: (pinned there). v2.11.1 is refused by this machine's Go module proxy (its .mod answers
#: 403); v2.10.0 is the newest release it serves.
KUBE_ROUTER_MODULE = "github.com/cloudnativelabs/kube-router/v2"
KUBE_ROUTER_VERSION = "v2.10.0"
KUBE_ROUTER_WRAPPER = REPO_ROOT / "devstack" / "kube-router"


def containerd_version() -> str:
    """containerd's upstream version (Debian's without its packaging suffix)."""
    return (dpkg_version("containerd") or "missing").split("~")[0]


def packages_installed() -> bool:
    return all(Path(path).exists() for path in PACKAGES.values())


def install_packages(log: Path) -> None:
    missing = [name for name, path in PACKAGES.items() if not Path(path).exists()]
    if missing:
        with progress.step("node", f"apt-get install {' '.join(missing)}"):
            apt_install("node", missing, log=log)


def pause_binary() -> Path:
    return cache_root() / "pause" / PAUSE_VERSION / "pause"


def build_pause(kube_source: Path, kubernetes_version: str, log: Path) -> Path:
    """gcc -static of upstream's pause.c from the control plane's Kubernetes module (cached)."""
    target = pause_binary()
    if target.is_file():
        return target
    module = kubernetes_module_dir(kube_source, kubernetes_version)
    source = module / "build" / "pause" / "linux" / "pause.c"
    if not source.is_file():
        raise ComponentError("node", f"{source} not found (is the Kubernetes module downloaded?)")
    if shutil.which("gcc") is None:
        apt_install("node", ["gcc", "libc6-dev"], log=log)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".pause-{os.getpid()}")
    argv = ["gcc", "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{PAUSE_VERSION}-havre"]
    with progress.step("node", f"gcc pause {PAUSE_VERSION}"):
        process.run("node", [*argv, "-o", str(partial), str(source)], log=log)
    partial.replace(target)
    return target


def kubernetes_module_dir(kube_source: Path, version: str) -> Path:
    """Where Go keeps the k8s.io/kubernetes module the control plane is built from."""
    result = subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@v{version}"],
        cwd=kube_source,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        return Path(json.loads(result.stdout)["Dir"])
    except (ValueError, KeyError) as exc:
        raise ComponentError("node", f"go mod download k8s.io/kubernetes: {result.stderr}") from exc


def coredns_binary() -> Path:
    return cache_root() / "coredns" / COREDNS_VERSION / "bin" / "coredns"


def kube_router_binary() -> Path:
    """Keyed by the release and the wrapper module (its replace lines change the build)."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        path = KUBE_ROUTER_WRAPPER / name
        if path.exists():
            digest.update(path.read_bytes())
    key = f"{KUBE_ROUTER_VERSION}-{digest.hexdigest()[:10]}"
    return cache_root() / "kube-router" / key / "kube-router"


def build_go_programs(log: Path) -> None:
    """CoreDNS (static, for an image without a C library) and kube-router."""
    static = {"CGO_ENABLED": "0"}
    if not coredns_binary().is_file():
        with progress.step("node", f"go install CoreDNS {COREDNS_VERSION}"):
            go_install(
                "node", COREDNS_MODULE, COREDNS_VERSION, coredns_binary(), log=log, env=static
            )
    target = kube_router_binary()
    if not target.is_file():
        ldflags = f"-X {KUBE_ROUTER_MODULE}/pkg/version.Version={KUBE_ROUTER_VERSION}"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".kube-router-{os.getpid()}")
        argv = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial)]
        argv.append(f"{KUBE_ROUTER_MODULE}/cmd/kube-router")
        with progress.step("node", f"go build kube-router {KUBE_ROUTER_VERSION}"):
            process.run("node", argv, log=log, cwd=KUBE_ROUTER_WRAPPER, env=static, timeout=3600)
        partial.replace(target)


@dataclass(frozen=True)
class PlatformImages:
    """The specs of the images the node imports at start."""

    pause: ImageSpec
    coredns: ImageSpec
    base: ImageSpec
    trino: ImageSpec

    def all(self) -> tuple[ImageSpec, ...]:
        return (self.pause, self.coredns, self.base, self.trino)

    def wanted(self) -> tuple[ImageSpec, ...]:
        """What a node imports at start: all, or those named in ``HAVRE_NODE_IMAGES``
        (e.g. ``pause,coredns,base`` for a throwaway node that runs no Trino)."""
        names = os.environ.get("HAVRE_NODE_IMAGES")
        if not names:
            return self.all()
        chosen = {n.strip() for n in names.split(",")}
        return tuple(getattr(self, n) for n in ("pause", "coredns", "base", "trino") if n in chosen)


def platform_images() -> PlatformImages:
    """Specs only (no build): the Trino image needs the Trino install in the cache."""
    jdk = jdk_image(java_home("node"), _jdk_version(java_home("node")))
    trino_home = cache_root() / "trino" / TRINO_VERSION
    return PlatformImages(
        pause=pause_image(pause_binary(), PAUSE_VERSION),
        coredns=coredns_image(coredns_binary(), COREDNS_VERSION),
        base=base_image(),
        trino=trino_image(jdk, trino_home, TRINO_VERSION),
    )


def images_built() -> bool:
    try:
        return all(is_built(spec) for spec in platform_images().all())
    except (ComponentError, FileNotFoundError):
        return False


def build_images(log: Path) -> PlatformImages:
    install_trino("node")
    images = platform_images()
    for spec in images.all():
        build_image(spec, component="node", log=log)
    return images


def _jdk_version(home: Path) -> str:
    for line in (home / "release").read_text().splitlines():
        if line.startswith("JAVA_VERSION="):
            return line.split("=", 1)[1].strip().strip('"')
    return "unknown"
