"""What an image is made of: a base, layers of local files, and its run configuration.

These frozen descriptions are the image builder's public API (``devstack.images``). An
image's tag ends with a digest of its description and of the files it copies (path, size,
mode, modification time), so changing anything that goes into it makes a new tag, and an
unchanged image is never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DebianBase:
    """A Debian root file system made by ``debootstrap --variant=minbase``, plus packages."""

    suite: str = "bookworm"
    #: Extra packages (with their dependencies), e.g. ("python3", "curl").
    packages: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        return json.dumps({"debian": self.suite, "packages": sorted(self.packages)})


@dataclass(frozen=True)
class Layer:
    """One layer on top of the image's base.

    ``copies`` puts a file or directory of this machine at an absolute path in the image
    (directories whole, keeping modes; owned by root). ``files`` writes small text files:
    (path in the image, text, mode). ``directories`` creates empty directories:
    (path, mode, uid).
    """

    copies: tuple[tuple[Path, str], ...] = ()
    files: tuple[tuple[str, str, int], ...] = ()
    directories: tuple[tuple[str, int, int], ...] = ()

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for source, target in self.copies:
            digest.update(f"copy {target}\0".encode())
            _fingerprint_tree(Path(source), digest)
        for path, text, mode in self.files:
            digest.update(f"file {path} {mode:o}\0{text}\0".encode())
        for path, mode, uid in self.directories:
            digest.update(f"dir {path} {mode:o} {uid}\0".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class ImageSpec:
    """An image: ``repository:<version>-<digest>``, built from ``base`` and ``layers``.

    ``base`` is another ImageSpec (its layers are shared), a DebianBase, or None for an
    empty image (a single static program, like pause or CoreDNS).
    """

    repository: str
    version: str
    base: ImageSpec | DebianBase | None = None
    layers: tuple[Layer, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    user: str = ""
    workdir: str = ""
    labels: tuple[tuple[str, str], ...] = field(default=())

    def digest(self) -> str:
        """sha256 of everything that goes into the image, its base included."""
        parts = {
            "repository": self.repository,
            "version": self.version,
            "base": self.base.digest() if isinstance(self.base, ImageSpec) else None,
            "debian": self.base.fingerprint() if isinstance(self.base, DebianBase) else None,
            "layers": [layer.fingerprint() for layer in self.layers],
            "config": [self.entrypoint, self.cmd, self.env, self.user, self.workdir, self.labels],
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    @property
    def tag(self) -> str:
        return f"{self.version}-{self.digest()[:12]}"

    @property
    def reference(self) -> str:
        """What a pod names: ``repository:tag``."""
        return f"{self.repository}:{self.tag}"


def _fingerprint_tree(root: Path, digest: hashlib._Hash) -> None:
    if not root.exists():
        raise FileNotFoundError(f"image source {root} does not exist")
    if root.is_file() or root.is_symlink():
        _stat_into(root, Path(root.name), digest)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            _stat_into(path, path.relative_to(root), digest)


def _stat_into(path: Path, relative: Path, digest: hashlib._Hash) -> None:
    info = path.lstat()
    digest.update(f"{relative}\0{info.st_size}\0{info.st_mode:o}\0{info.st_mtime_ns}\0".encode())
