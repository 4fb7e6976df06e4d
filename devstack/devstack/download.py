"""Fetch release artifacts from Maven Central into the cache, verified by their SHA-1."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from devstack import progress
from devstack.errors import ComponentError
from devstack.paths import cache_root

MAVEN = "https://repo1.maven.org/maven2"


def maven_url(group: str, artifact: str, version: str, ext: str) -> str:
    return f"{MAVEN}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.{ext}"


def fetch_maven(component: str, group: str, artifact: str, version: str, ext: str) -> Path:
    """Download one Maven artifact once (cached under downloads/), checking its .sha1."""
    url = maven_url(group, artifact, version, ext)
    target = cache_root() / "downloads" / url.rsplit("/", 1)[1]
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url + ".sha1", timeout=60) as resp:  # noqa: S310
            expected = resp.read().decode().split()[0].strip()
        partial = target.with_suffix(target.suffix + ".part")
        digest = hashlib.sha1()  # noqa: S324 - Maven Central publishes SHA-1 sums
        response = urllib.request.urlopen(url, timeout=120)  # noqa: S310
        length = response.headers.get("Content-Length")
        what = f"download {target.name} ({progress.size(int(length) if length else None)})"
        with progress.step(component, what), response as resp, partial.open("wb") as out:
            while chunk := resp.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        raise ComponentError(component, f"download of {url} failed: {exc}") from exc
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise ComponentError(component, f"checksum mismatch for {url}")
    partial.rename(target)
    return target


def verify_sha1(
    component: str, path: Path, group: str, artifact: str, version: str, ext: str
) -> None:
    """Check a downloaded file against its published SHA-1 (used for prefetched files)."""
    url = maven_url(group, artifact, version, ext)
    with urllib.request.urlopen(url + ".sha1", timeout=60) as resp:  # noqa: S310
        expected = resp.read().decode().split()[0].strip()
    digest = hashlib.sha1()  # noqa: S324
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        path.unlink()
        raise ComponentError(component, f"checksum mismatch for {path.name}; deleted, run again")


def extract(component: str, archive: Path, dest: Path, strip_top: bool = True) -> None:
    """Unpack a .zip or .tar.gz into ``dest`` (atomically: a temp dir renamed at the end)."""
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)  # noqa: S202 - artifacts are checksum-verified
                for info in zf.infolist():  # zipfile drops the executable bits
                    mode = info.external_attr >> 16
                    if mode & 0o111:
                        (tmp / info.filename).chmod(mode & 0o777)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="tar")
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ComponentError(component, f"cannot unpack {archive}: {exc}") from exc
    source = tmp
    entries = list(tmp.iterdir())
    if strip_top and len(entries) == 1 and entries[0].is_dir():
        source = entries[0]
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    source.rename(dest)
    shutil.rmtree(tmp, ignore_errors=True)
