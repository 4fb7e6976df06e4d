"""The operator image's recipe: a base pinned by digest, wheels only, a non-root user the
chart expects, and exactly the pins of operator/requirements.txt, which hold pyproject's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not pinned exactly: {line}"
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


def test_base_image_is_pinned_by_digest_and_every_stage_uses_it() -> None:
    base = re.search(r"^ARG PYTHON_BASE=(\S+)$", DOCKERFILE, re.M)
    assert base is not None and re.fullmatch(r"[\w./:-]+@sha256:[0-9a-f]{64}", base.group(1))
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert len(stages) >= 2 and set(stages) == {"${PYTHON_BASE}"}


def test_final_stage_runs_as_the_chart_user_and_installs_no_compiler() -> None:
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    assert "USER 65532:65532" in final
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final)
    deployment = (ROOT / "charts" / "havre" / "templates" / "deployment.yaml").read_text()
    assert "runAsUser: 65532" in deployment


def test_image_installs_the_pinned_list_from_wheels_only() -> None:
    assert "--only-binary=:all: --no-deps -r /tmp/requirements.txt" in DOCKERFILE
    assert "COPY operator/requirements.txt /tmp/requirements.txt" in DOCKERFILE


def test_pinned_list_holds_each_runtime_dependency_at_pyprojects_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"])
    locked = _pins((ROOT / "operator" / "requirements.txt").read_text().splitlines())
    different = {n: (v, locked.get(n)) for n, v in wanted.items() if locked.get(n) != v}
    assert different == {}, f"run `make operator-requirements`: {different}"


def test_image_tag_in_the_build_hint_is_the_charts() -> None:
    values = yaml.safe_load((ROOT / "charts" / "havre" / "values.yaml").read_text())
    assert f"havre/operator:{values['image']['tag']}" in DOCKERFILE


def test_local_image_runs_the_same_entry_point_as_the_chart_user(tmp_path: Path) -> None:
    from devstack.images import base_image
    from devstack.operator_image import USER, operator_image_spec
    from devstack.operator_site import IMAGE_APP, IMAGE_SITE

    site, app = tmp_path / "site", tmp_path / "app"
    (site / "kopf").mkdir(parents=True)
    (app / "havre").mkdir(parents=True)
    spec = operator_image_spec(site, app)
    deployment = (ROOT / "charts" / "havre" / "templates" / "deployment.yaml").read_text()
    uid, gid = USER.split(":")
    assert f"runAsUser: {uid}" in deployment and f"runAsGroup: {gid}" in deployment
    assert spec.user == USER and "USER 65532:65532" in DOCKERFILE
    assert spec.entrypoint[-2:] == ("-m", "havre")
    assert dict(spec.env)["PYTHONPATH"] == f"{IMAGE_APP}:{IMAGE_SITE}"
    assert spec.base == base_image()
    assert [target for layer in spec.layers for _, target in layer.copies] == [
        IMAGE_SITE,
        f"{IMAGE_APP}/havre",
    ]


def test_operator_layer_is_keyed_by_the_packages_content_not_its_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two checkouts of the same code make the same image tag; a changed file a new one."""
    import os

    from devstack import operator_site
    from devstack.images import base_image
    from devstack.images.spec import ImageSpec, Layer

    monkeypatch.setenv("HAVRE_CACHE", str(tmp_path / "cache"))
    tags = []
    for checkout, text in (("a", "x = 1\n"), ("b", "x = 1\n"), ("c", "x = 2\n")):
        package = tmp_path / checkout / "havre"
        (package / "__pycache__").mkdir(parents=True)
        (package / "__init__.py").write_text(text)
        (package / "__pycache__" / "m.cpython-311.pyc").write_bytes(os.urandom(8))
        monkeypatch.setattr(operator_site, "PACKAGE", package)
        app = operator_site.package_snapshot()
        assert sorted(p.name for p in (app / "havre").iterdir()) == ["__init__.py"]
        layer = Layer(copies=((app / "havre", "/opt/havre/app/havre"),))
        tags.append(ImageSpec("havre.local/t", "0", base=base_image(), layers=(layer,)).tag)
    assert tags[0] == tags[1] != tags[2]
