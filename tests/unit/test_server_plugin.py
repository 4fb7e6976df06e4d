"""Taking one plugin folder out of a Trino server tarball, hard links resolved from lib/."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from devstack.server_plugin import _extract_folder


def _tarball() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("trino-server-1/lib/shared.jar", b"shared")
        add("trino-server-1/plugin/aaa/own.jar", b"aaa")
        link = tarfile.TarInfo("trino-server-1/plugin/http-event-listener/shared.jar")
        link.type, link.linkname = tarfile.LNKTYPE, "trino-server-1/lib/shared.jar"
        tar.addfile(link)
        add("trino-server-1/plugin/http-event-listener/own.jar", b"listener")
        add("trino-server-1/plugin/zzz/other.jar", b"zzz")
    return out.getvalue()


def test_the_folder_is_copied_with_its_linked_jars(tmp_path: Path) -> None:
    lib, out = tmp_path / "lib", tmp_path / "out"
    lib.mkdir()
    out.mkdir()
    with tarfile.open(fileobj=io.BytesIO(_tarball()), mode="r|gz") as archive:
        count = _extract_folder(archive, "http-event-listener", lib, out)
    assert count == 2
    assert (out / "shared.jar").read_bytes() == b"shared"
    assert (out / "own.jar").read_bytes() == b"listener"
    assert sorted(p.name for p in out.iterdir()) == ["own.jar", "shared.jar"]
