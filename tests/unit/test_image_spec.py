"""An image's tag changes with anything that goes into it, and only then."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.images import DebianBase, ImageSpec, Layer
from devstack.images.builder import _config_flags


def spec(source: Path, **changes: object) -> ImageSpec:
    fields: dict[str, object] = {
        "repository": "havre.local/app",
        "version": "1.0",
        "base": DebianBase(packages=("python3",)),
        "layers": (Layer(copies=((source, "/opt/app"),)),),
        "entrypoint": ("/opt/app/run",),
    }
    fields.update(changes)
    return ImageSpec(**fields)  # type: ignore[arg-type]


def test_same_inputs_give_the_same_tag(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("#!/bin/sh\n")
    assert spec(tmp_path).reference == spec(tmp_path).reference
    assert spec(tmp_path).reference.startswith("havre.local/app:1.0-")


def test_a_changed_file_gives_a_new_tag(tmp_path: Path) -> None:
    file = tmp_path / "run"
    file.write_text("#!/bin/sh\n")
    before = spec(tmp_path).tag
    file.write_text("#!/bin/sh\necho changed\n")
    os.utime(file, ns=(1, 1))
    assert spec(tmp_path).tag != before


def test_base_packages_and_configuration_are_part_of_the_tag(tmp_path: Path) -> None:
    base = spec(tmp_path)
    assert spec(tmp_path, base=DebianBase(packages=("python3", "curl"))).tag != base.tag
    assert spec(tmp_path, entrypoint=("/bin/sh",)).tag != base.tag
    derived = ImageSpec(repository="havre.local/child", version="1", base=base)
    changed = ImageSpec(repository="havre.local/child", version="1", base=spec(tmp_path, user="1"))
    assert derived.tag != changed.tag


def test_configuration_becomes_umoci_flags(tmp_path: Path) -> None:
    flags = _config_flags(spec(tmp_path, env=(("A", "b"),), user="1000:1000", workdir="/w"))
    assert flags[:4] == ["--os", "linux", "--architecture", "amd64"]
    assert "--config.entrypoint=/opt/app/run" in flags
    assert "--config.env=A=b" in flags and "--config.user=1000:1000" in flags
    assert "--config.workingdir=/w" in flags
