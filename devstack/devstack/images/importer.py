"""Put built images into a containerd's ``k8s.io`` namespace, where the kubelet finds them.

``ctr images import`` reads the OCI layout as a tar stream and unpacks it for the
default snapshotter; an image already there under its reference is skipped.
"""

from __future__ import annotations

import subprocess
import tarfile
import threading
from pathlib import Path

from devstack import progress
from devstack.errors import ComponentError
from devstack.images.builder import BuiltImage

NAMESPACE = "k8s.io"


def ctr(address: Path, *args: str, timeout: float = 120) -> str:
    """Run ``ctr`` against the containerd at ``address``; its output."""
    result = subprocess.run(
        ["ctr", "--address", str(address), "--namespace", NAMESPACE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ComponentError("node", f"ctr {' '.join(args[:2])}: {result.stderr.strip()}")
    return result.stdout


def imported(address: Path) -> set[str]:
    """References of the images this containerd holds."""
    return set(ctr(address, "images", "list", "--quiet").split())


def import_image(image: BuiltImage, address: Path, *, component: str = "node") -> bool:
    """Import ``image`` unless present; True when it was imported now."""
    if image.reference in imported(address):
        return False
    repository = image.spec.repository
    with progress.step(component, f"import {image.reference} into containerd"):
        argv = ["ctr", "--address", str(address), "--namespace", NAMESPACE, "images", "import"]
        argv += ["--base-name", repository, "-"]
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert proc.stdin is not None and proc.stdout is not None
        output: list[bytes] = []
        reader = threading.Thread(target=lambda: output.append(proc.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        try:
            with tarfile.open(fileobj=proc.stdin, mode="w|") as tar:
                for entry in sorted(image.layout.iterdir()):
                    tar.add(entry, arcname=entry.name)
        except BrokenPipeError:
            pass
        finally:
            proc.stdin.close()
        code = proc.wait(timeout=1800)
        reader.join()
    if code != 0 or image.reference not in imported(address):
        said = b"".join(output).decode(errors="replace").strip()[-2000:]
        raise ComponentError(component, f"importing {image.reference} failed ({code}): {said}")
    return True
