"""The operator image on the local platform: what the Dockerfile makes, built from the same
pinned wheels (``operator/requirements.txt``) with the node's image builder, no registry,
and imported into the node's containerd, where the chart's pods find it (pullPolicy Never).

The Dockerfile's final stage holds a virtualenv of those wheels and runs ``havre-operator``
as 65532; this one holds the same packages in a folder on PYTHONPATH over the platform's
Debian Python 3.11, and runs ``python3 -m havre`` (the same entry point) as 65532.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from devstack.images import BuiltImage, ImageSpec, Layer, base_image, build_image, import_image
from devstack.images.platform import SYSTEM_PATH
from devstack.operator_site import IMAGE_APP, IMAGE_SITE, dependencies, package_snapshot
from devstack.paths import REPO_ROOT

REPOSITORY = "havre.local/operator"
#: The Dockerfile's user; the chart's securityContext runs as it.
USER = "65532:65532"


def package_version() -> str:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return str(project["version"])


def operator_image_spec(site: Path, app: Path) -> ImageSpec:
    """The platform's Debian base with Python 3.11, the pinned packages, then the operator
    (a layer of its own: changing the operator rebuilds only that layer)."""
    return ImageSpec(
        repository=REPOSITORY,
        version=package_version(),
        base=base_image(),
        layers=(
            Layer(copies=((site, IMAGE_SITE),)),
            Layer(copies=((app / "havre", f"{IMAGE_APP}/havre"),)),
        ),
        entrypoint=("/usr/bin/python3", "-m", "havre"),
        env=(
            ("PATH", SYSTEM_PATH),
            ("PYTHONPATH", f"{IMAGE_APP}:{IMAGE_SITE}"),
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("PYTHONUNBUFFERED", "1"),
        ),
        user=USER,
    )


def operator_image(containerd_socket: Path, log: Path) -> BuiltImage:
    """Build (cached by content under ~/.cache/havre: the pins, the package's files) and
    import into the node's containerd; pods name ``image.reference``."""
    site = dependencies("helm", log)
    app = package_snapshot()
    image = build_image(operator_image_spec(site, app), component="helm", log=log)
    import_image(image, containerd_socket, component="helm")
    return image
