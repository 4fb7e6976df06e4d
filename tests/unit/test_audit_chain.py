"""The trail's batch format and its hash chain."""

from __future__ import annotations

import datetime as dt

from havre.audit.trail import (
    GENESIS,
    batch_key,
    decode_batch,
    digest,
    encode_batch,
    records_of,
    verify_chain,
)

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def chain(n: int) -> list[tuple[str, bytes]]:
    batches, previous = [], GENESIS
    for i in range(n):
        data = encode_batch(i, previous, [{"kind": "query", "person": f"p{i}"}], NOW)
        batches.append((batch_key(i), data))
        previous = digest(data)
    return batches


def test_an_intact_chain_verifies_and_reads_back() -> None:
    batches = chain(4)
    result = verify_chain(batches)
    assert result.ok and result.batches == 4 and result.records == 4
    assert [r["person"] for r in records_of(batches)] == ["p0", "p1", "p2", "p3"]
    assert decode_batch(batches[2][1]).header["previous"] == digest(batches[1][1])


def test_an_edited_batch_is_named() -> None:
    batches = chain(4)
    key, data = batches[1]
    batches[1] = (key, data.replace(b'"p1"', b'"px"'))
    result = verify_chain(batches)
    assert not result.ok and result.first_bad == batch_key(1)


def test_a_removed_batch_is_named() -> None:
    batches = chain(4)
    del batches[2]
    result = verify_chain(batches)
    assert result.first_bad == batch_key(3)
    assert "expected batch 2" in result.problem


def test_a_batch_that_lies_about_its_records_is_named() -> None:
    batches = chain(3)
    key, data = batches[0]
    batches[0] = (key, data + b'{"kind":"query","person":"extra"}\n')
    assert verify_chain(batches).first_bad == batch_key(0)
