"""MinIO client failures as Havre errors, decided at the HTTP boundary.

A store that does not answer usefully (refused or reset connection, timeout, HTTP 5xx, 408,
429, or an answer that is not S3 at all, e.g. a proxy's error page) is temporary:
``DependencyUnavailable`` with reason ``ObjectStoreUnavailable``. Any other refusal is
``ObjectStoreRejected``. Messages name the endpoint, the operation and the server's error
code; they are built here rather than copied from the client, so no secret reaches them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3
from minio.error import InvalidResponseError, MinioAdminException, S3Error, ServerError

from havre.errors import DependencyUnavailable, HavreError
from havre.external.objectstore import UNAVAILABLE, ObjectStoreRejected

# Statuses meaning "not now" rather than "no": the same request may succeed later.
_RETRYABLE = frozenset({408, 429})


def admin_code(exc: MinioAdminException) -> str:
    """The ``Code`` of an admin API error body (``XMinioAdminNoSuchUser``…), or ''."""
    try:
        body = json.loads(exc._body)
    except (TypeError, ValueError):
        return ""
    return str(body.get("Code", "")) if isinstance(body, dict) else ""


def _admin_status(exc: MinioAdminException) -> int:
    try:
        return int(exc._code)
    except (TypeError, ValueError):
        return 0


def unavailable(endpoint: str, action: str, detail: str) -> DependencyUnavailable:
    """The error for a store that did not answer usefully."""
    return DependencyUnavailable(
        f"object store {endpoint} unavailable while {action}: {detail}", reason=UNAVAILABLE
    )


def _answered(endpoint: str, action: str, status: int, code: str) -> HavreError:
    if status >= 500 or status in _RETRYABLE:
        return unavailable(endpoint, action, f"HTTP {status} {code}".rstrip())
    return ObjectStoreRejected(
        f"object store {endpoint} refused a request while {action}: HTTP {status} {code}".rstrip(),
        code=code,
        status=status,
    )


def _connection_detail(exc: Exception) -> str:
    # MaxRetryError wraps the failure that exhausted the retries; name that one.
    reason = getattr(exc, "reason", None)
    if isinstance(reason, Exception):
        return f"{type(exc).__name__} ({type(reason).__name__})"
    return type(exc).__name__


@contextmanager
def translated(endpoint: str, action: str) -> Iterator[None]:
    """Run MinIO client calls, raising Havre errors for their failures.

    ``action`` says what was being done, e.g. ``"ensuring bucket ws-cardio"``.
    """
    try:
        yield
    except S3Error as exc:
        status = exc.response.status if exc.response is not None else 0
        raise _answered(endpoint, action, status, exc.code or "") from exc
    except MinioAdminException as exc:
        raise _answered(endpoint, action, _admin_status(exc), admin_code(exc)) from exc
    except ServerError as exc:
        raise _answered(endpoint, action, exc.status_code, "") from exc
    except InvalidResponseError as exc:
        raise unavailable(endpoint, action, "an answer that is not S3") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise unavailable(endpoint, action, _connection_detail(exc)) from exc
