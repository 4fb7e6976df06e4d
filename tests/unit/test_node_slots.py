"""Two stacks whose port offsets share a node slot: the second neither starts a node there
nor tears the first one's down (devstack/devstack/node_ledger.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devstack import node_ledger


@pytest.fixture(autouse=True)
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node_ledger, "LEDGER_DIR", tmp_path / "ledger")
    monkeypatch.setattr(node_ledger, "_read", lambda key: "1024")
    monkeypatch.setattr(node_ledger, "_write", lambda key, value: None)


def test_a_running_node_holds_its_slot_against_another_stack(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    node_ledger.join(first, os.getpid(), 122)
    assert node_ledger.slot_holder(122, second) == str(first)
    assert node_ledger.slot_holder(122, first) is None
    assert node_ledger.slot_holder(7, second) is None
    with pytest.raises(node_ledger.SlotTaken, match="slot 122 is held by the running stack"):
        node_ledger.join(second, os.getpid(), 122)


def test_the_slot_is_free_again_once_its_node_stops_or_dies(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    node_ledger.join(first, os.getpid(), 122)
    node_ledger.leave(first, "havre122n")
    assert node_ledger.slot_holder(122, second) is None
    dead = 2**22 + 12345  # above pid_max's default: no such process
    node_ledger.join(first, dead, 122)
    assert node_ledger.slot_holder(122, second) is None
    node_ledger.join(second, os.getpid(), 122)
    assert node_ledger.slot_holder(122, first) == str(second)
