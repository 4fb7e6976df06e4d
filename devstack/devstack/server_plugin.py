"""A Trino plugin that is published only inside the full server tarball.

Some plugins (the HTTP event listener among them) are not served as artifacts of their
own, only as a folder of ``trino-server-<version>.tar.gz`` (about 800 MB). That folder
holds the plugin's own jar and hard links to jars of the tarball's ``lib/``. This module
streams the tarball once, keeps the plugin folder's files (resolving the hard links from
``lib/``, which comes earlier in the archive), checks the whole stream against the
published SHA-1, and caches the folder under ``~/.cache/havre/trino-server-plugins/``
keyed by version: only the few megabytes of the plugin stay on disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import shutil
import tarfile
import urllib.request
from pathlib import Path

from devstack.download import maven_url
from devstack.errors import ComponentError
from devstack.paths import cache_root

_COMPLETE = ".havre-complete"


def plugin_cache(version: str, plugin: str) -> Path:
    """Where the plugin folder of Trino ``version`` is cached (shared by every stack)."""
    return cache_root() / "trino-server-plugins" / version / plugin


class _Hashing(io.RawIOBase):
    """A readable stream that hashes what passes through it."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self._raw = raw
        self.digest = hashlib.sha1()  # noqa: S324 - Maven Central publishes SHA-1 sums

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read (and hash) the rest of the stream."""
        while chunk := self._raw.read(1 << 20):
            self.digest.update(chunk)


def _extract_folder(archive: tarfile.TarFile, plugin: str, lib: Path, out: Path) -> int:
    """Copy the plugin folder's members into ``out``; return how many files it holds."""
    count = 0
    inside = False
    for member in archive:
        parts = member.name.split("/")
        if len(parts) == 3 and parts[1] == "lib" and member.isfile():
            source = archive.extractfile(member)
            assert source is not None
            with source, (lib / parts[2]).open("wb") as target:
                shutil.copyfileobj(source, target)
            continue
        if len(parts) != 4 or parts[1:3] != ["plugin", plugin]:
            if inside:
                return count  # the folder is contiguous: nothing more of it follows
            continue
        inside = True
        name = parts[3]
        if member.islnk():
            linked = member.linkname.split("/")
            if linked[1] != "lib":
                raise ValueError(f"{member.name} links outside lib/: {member.linkname}")
            shutil.copyfile(lib / linked[2], out / name)
        elif member.isfile():
            source = archive.extractfile(member)
            assert source is not None
            with source, (out / name).open("wb") as target:
                shutil.copyfileobj(source, target)
        else:
            continue
        count += 1
    return count


def fetch_server_plugin(component: str, group: str, version: str, plugin: str) -> Path:
    """The plugin folder of ``trino-server-<version>.tar.gz``, from the cache or streamed
    once from Maven Central; raises ComponentError on a failed download or checksum."""
    final = plugin_cache(version, plugin)
    if (final / _COMPLETE).exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{plugin}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / _COMPLETE).exists():
            return final
        staging = final.with_name(f"{plugin}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "lib").mkdir(parents=True)
        (staging / "plugin").mkdir()
        url = maven_url(group, "trino-server", version, "tar.gz")
        try:
            with urllib.request.urlopen(url + ".sha1", timeout=60) as resp:  # noqa: S310
                expected = resp.read().decode().split()[0].strip()
            with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310
                hashing = _Hashing(resp)
                stream = io.BufferedReader(hashing, 1 << 20)
                with tarfile.open(fileobj=stream, mode="r|gz") as archive:
                    count = _extract_folder(archive, plugin, staging / "lib", staging / "plugin")
                    stream.read()  # what the buffer and gzip left unread goes through the hash
                hashing.drain()  # the checksum covers the whole tarball
        except (OSError, tarfile.TarError, ValueError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ComponentError(component, f"cannot take {plugin} from {url}: {exc}") from exc
        if hashing.digest.hexdigest() != expected:
            shutil.rmtree(staging, ignore_errors=True)
            raise ComponentError(component, f"checksum mismatch for {url}")
        if count == 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ComponentError(component, f"{url} has no plugin/{plugin} folder")
        shutil.rmtree(staging / "lib")
        shutil.rmtree(final, ignore_errors=True)
        (staging / "plugin").rename(final)
        (final / _COMPLETE).write_text(version)
        shutil.rmtree(staging, ignore_errors=True)
    return final


def install_server_plugin(
    component: str, group: str, version: str, plugin: str, dest: Path
) -> None:
    """Copy the cached plugin folder to ``dest`` (a Trino install's ``plugin/<name>``),
    atomically: a starting server never sees half a plugin."""
    source = fetch_server_plugin(component, group, version, plugin)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns(_COMPLETE))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
