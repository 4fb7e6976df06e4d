"""The operator's decision buffer never blocks and drops the oldest when full."""

from __future__ import annotations

import socket
import time
from typing import Any

from havre.audit.sender import DecisionSender


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_full_buffer_drops_the_oldest_and_reports_it_without_blocking() -> None:
    dropped: list[dict[str, Any]] = []
    sender = DecisionSender(
        f"https://127.0.0.1:{closed_port()}", "k" * 48, limit=3, on_drop=dropped.append
    )
    sender.start()
    try:
        started = time.monotonic()
        sender.record(*({"kind": "decision", "action": f"a{i}"} for i in range(5)))
        assert time.monotonic() - started < 0.5
        assert [d["action"] for d in dropped] == ["a0", "a1"]
        assert sender.pending() == 3
    finally:
        sender.stop()
