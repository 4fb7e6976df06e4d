"""Generated credentials of one stack, created once and kept in a 0600 file."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import string
from pathlib import Path

_ALPHABET = string.ascii_letters + string.digits


def random_secret(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Credentials:
    """Create-if-absent credentials: a restart of the stack never rotates them."""

    def __init__(self, state: Path) -> None:
        self.path = state / "credentials.json"

    def get(self, key: str, length: int = 32) -> str:
        """The value stored under ``key``, generated on first use."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Several processes (tests, `make stack-up`) may start components at once.
        with (self.path.parent / ".credentials.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            if key not in data:
                data[key] = random_secret(length)
                self._save(data)
            return data[key]

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        loaded: dict[str, str] = json.loads(self.path.read_text())
        return loaded

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        tmp.replace(self.path)
