"""Build OCI images from an ImageSpec with Debian's ``umoci``, once, into the cache.

Each image is an OCI layout in ``~/.cache/havre/images/<repository>/<tag>/oci``. A derived
image starts from its base's layout (blobs hard-linked, never copied), and each Layer is
one ``umoci insert`` of a staged directory tree; ``umoci config`` sets the run
configuration. Nothing needs a registry or a daemon.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from devstack import process, progress
from devstack.errors import ComponentError
from devstack.images import debian
from devstack.images.spec import DebianBase, ImageSpec, Layer
from devstack.paths import cache_root
from devstack.toolchain import apt_install

_COMPLETE = ".havre-complete"


@dataclass(frozen=True)
class BuiltImage:
    """An image in the cache: its reference and its OCI layout (tag ``spec.tag``)."""

    spec: ImageSpec
    layout: Path

    @property
    def reference(self) -> str:
        return self.spec.reference


def image_dir(spec: ImageSpec) -> Path:
    return cache_root() / "images" / spec.repository.replace("/", "_") / spec.tag


def is_built(spec: ImageSpec) -> bool:
    return (image_dir(spec) / _COMPLETE).exists()


def build_image(spec: ImageSpec, *, component: str, log: Path) -> BuiltImage:
    """The image of ``spec`` from the cache, built first if it is not there (bases first)."""
    final = image_dir(spec)
    if (final / _COMPLETE).exists():
        return BuiltImage(spec, final / "oci")
    base = spec.base
    parent = None
    if isinstance(base, ImageSpec):
        parent = build_image(base, component=component, log=log)
    _require_umoci(component, log)
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{final.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / _COMPLETE).exists():
            return BuiltImage(spec, final / "oci")
        staging = final.with_name(final.name + ".staging")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        layout = staging / "oci"
        image = f"{layout}:{spec.tag}"
        with progress.step(component, f"image {spec.reference}"):
            if parent is not None:
                _link_layout(parent.layout, layout)
                _umoci(component, log, "tag", "--image", f"{layout}:{parent.spec.tag}", spec.tag)
            else:
                _umoci(component, log, "init", "--layout", str(layout))
                _umoci(component, log, "new", "--image", image)
                if isinstance(base, DebianBase):
                    root = debian.rootfs(base, component=component, log=log)
                    _umoci(component, log, "insert", "--image", image, str(root), "/")
            for index, layer in enumerate(spec.layers):
                tree = staging / f"layer-{index}"
                _stage(layer, tree)
                _umoci(component, log, "insert", "--image", image, str(tree), "/")
                shutil.rmtree(tree)
            _umoci(component, log, "config", "--image", image, *_config_flags(spec))
            if parent is not None:
                # The base's tag is not part of this image.
                _umoci(component, log, "rm", "--image", f"{layout}:{parent.spec.tag}")
        (staging / _COMPLETE).write_text(spec.reference)
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    return BuiltImage(spec, final / "oci")


def _require_umoci(component: str, log: Path) -> None:
    if shutil.which("umoci") is None:
        apt_install(component, ["umoci"], log=log)


def _umoci(component: str, log: Path, *args: str) -> None:
    process.run(component, ["umoci", *args], log=log, timeout=1800)


def _link_layout(source: Path, target: Path) -> None:
    """A copy of an OCI layout whose blobs are hard links (umoci only ever adds blobs)."""
    (target / "blobs" / "sha256").mkdir(parents=True)
    for blob in (source / "blobs" / "sha256").iterdir():
        os.link(blob, target / "blobs" / "sha256" / blob.name)
    for name in ("index.json", "oci-layout"):
        shutil.copyfile(source / name, target / name)


def _stage(layer: Layer, tree: Path) -> None:
    """Lay out a layer's content under ``tree`` as it will appear under ``/``."""
    tree.mkdir(parents=True)
    for path, mode, uid in layer.directories:
        directory = tree / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(mode)
        os.chown(directory, uid, uid)
    for source, target in layer.copies:
        destination = tree / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if Path(source).is_dir():
            # Hard links where possible: staging a JDK or Trino must not copy gigabytes.
            shutil.copytree(source, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(destination))
    for path, text, mode in layer.files:
        file = tree / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
        file.chmod(mode)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _config_flags(spec: ImageSpec) -> list[str]:
    flags = ["--os", "linux", "--architecture", "amd64", "--no-history"]
    if spec.entrypoint:
        flags += ["--clear", "config.entrypoint"]
        flags += [f"--config.entrypoint={arg}" for arg in spec.entrypoint]
    if spec.cmd or spec.entrypoint:
        flags += ["--clear", "config.cmd"]
        flags += [f"--config.cmd={arg}" for arg in spec.cmd]
    flags += [f"--config.env={key}={value}" for key, value in spec.env]
    flags += [f"--config.label={key}={value}" for key, value in spec.labels]
    if spec.user:
        flags.append(f"--config.user={spec.user}")
    if spec.workdir:
        flags.append(f"--config.workingdir={spec.workdir}")
    return flags


def remove_image(spec: ImageSpec) -> None:
    """Drop an image from the cache (its base stays)."""
    path = image_dir(spec)
    if path.exists():
        shutil.rmtree(path)
    if path.exists():
        raise ComponentError("images", f"cannot remove {path}")
