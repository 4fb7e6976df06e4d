"""Time and count every call to an external system by wrapping its client, not editing it.

``instrument(store, "object_store")`` returns an object that behaves as ``store`` (same
methods, same results, same exceptions) and records, per public method call: one request,
its duration, and on failure its reason; ``havre_external_system_up`` follows whether the
system answered. The wrapped clients (``ObjectStore``, ``CatalogDatabase``, the Kubernetes
``Cluster``, later the identity provider) stay unaware of metrics, and a method added to a
client is measured without any change here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from havre.errors import DependencyUnavailable, HavreError
from havre.metrics.definitions import (
    EXTERNAL_DURATION,
    EXTERNAL_ERRORS,
    EXTERNAL_REQUESTS,
    EXTERNAL_UP,
)

T = TypeVar("T")
_REASON = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


def error_reason(exc: BaseException) -> str:
    """A bounded, CamelCase reason: Havre's own reason, else the exception's class name."""
    reason = exc.reason if isinstance(exc, HavreError) else type(exc).__name__
    return reason if _REASON.match(reason) else "Other"


def unreachable(exc: BaseException) -> bool:
    """True when the error means the system did not answer (rather than refused)."""
    return isinstance(exc, DependencyUnavailable)


class _Instrumented:
    """Stands in for a client; only public methods are measured."""

    def __init__(self, target: object, system: str) -> None:
        self._target = target
        self._system = system

    def __repr__(self) -> str:
        return f"instrumented({self._target!r})"

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name.startswith("_") or not callable(attr):
            return attr
        return self._measured(name, attr)

    def _measured(self, operation: str, method: Callable[..., Any]) -> Callable[..., Any]:
        system = self._system

        def call(*args: Any, **kwargs: Any) -> Any:
            EXTERNAL_REQUESTS.labels(system, operation).inc()
            started = time.perf_counter()
            try:
                result = method(*args, **kwargs)
            except Exception as exc:
                EXTERNAL_ERRORS.labels(system, operation, error_reason(exc)).inc()
                if isinstance(exc, HavreError):
                    EXTERNAL_UP.labels(system).set(0 if unreachable(exc) else 1)
                raise
            finally:
                EXTERNAL_DURATION.labels(system, operation).observe(time.perf_counter() - started)
            EXTERNAL_UP.labels(system).set(1)
            return result

        call.__name__ = operation
        call.__doc__ = method.__doc__
        return call


def instrument(target: T, system: str) -> T:
    """``target`` with each public method call measured under ``system``
    (``kubernetes``, ``object_store``, ``catalog_database``, ``identity_provider``)."""
    return cast(T, _Instrumented(target, system))
