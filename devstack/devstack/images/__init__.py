"""Container images without a registry: built from local files with umoci, imported into a
node's containerd.

Public API (the operator image is made the same way)::

    from devstack.images import DebianBase, ImageSpec, Layer, build_image, import_image
    spec = ImageSpec(repository="havre.local/operator", version="0.1.0",
                     base=base_image(),  # or DebianBase(packages=(...)) or None (scratch)
                     layers=(Layer(copies=((Path("dist/venv"), "/opt/havre"),)),),
                     entrypoint=("/opt/havre/bin/python", "-m", "havre"), user="65532")
    image = build_image(spec, component="helm", log=log)   # cached by content
    import_image(image, containerd_socket)                # what pods then run
"""

from devstack.images.builder import BuiltImage, build_image, is_built
from devstack.images.importer import import_image
from devstack.images.platform import base_image
from devstack.images.spec import DebianBase, ImageSpec, Layer

__all__ = [
    "BuiltImage",
    "DebianBase",
    "ImageSpec",
    "Layer",
    "base_image",
    "build_image",
    "import_image",
    "is_built",
]
