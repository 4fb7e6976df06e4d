"""Errors that carry a CamelCase reason: the condition reason and the Event reason."""

from __future__ import annotations


class HavreError(Exception):
    """Base of Havre's errors. ``reason`` is one CamelCase word; the message is for people."""

    reason = "Error"
    #: Permanent errors wait for a spec change; temporary ones are retried with backoff.
    permanent = True

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self)


class InvalidSpec(HavreError):
    """The object asks for something Havre cannot do; fixed only by changing it."""

    reason = "InvalidSpec"


class DependencyUnavailable(HavreError):
    """A system Havre needs did not answer; retried, the object reported Degraded."""

    reason = "DependencyUnavailable"
    permanent = False


class Pending(HavreError):
    """Something must finish first (e.g. an earlier namespace still terminating); retried."""

    reason = "Pending"
    permanent = False
