"""Recognise values shaped like a NIR, the French social security number (a direct identifier).

A NIR has 15 characters: sex (1), birth year (2), month (2), department (2: digits, or 2A/2B
for Corsica), commune (3), order (3), and a key equal to 97 minus the 13-digit number modulo
97, where 2A counts as 19 and 2B as 18. A synthetic dataset must never hold such a value, and
one in a workspace export is a red flag: direct identifiers never enter a workspace.

The check is deliberately wider than the official rules (any leading digits, any month): it
must flag every real NIR, and a false alarm on a synthetic value only costs a regeneration.
"""

from __future__ import annotations

import re

NIR_LENGTH = 15
_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
# Corsican departments are replaced by these digits when the key is computed.
_CORSICA = {"2A": "19", "2B": "18"}


def nir_key(first13: str) -> int:
    """The 2-digit key of a NIR's first 13 characters (department 2A/2B allowed)."""
    dept = first13[5:7]
    digits = first13[:5] + _CORSICA.get(dept, dept) + first13[7:]
    return 97 - int(digits) % 97


def is_nir_shaped(value: str) -> bool:
    """True when ``value`` is exactly 15 characters shaped like a NIR with a valid key."""
    upper = value.upper()
    if len(upper) != NIR_LENGTH or not _SHAPE.fullmatch(upper):
        return False
    return nir_key(upper[:13]) == int(upper[13:])


def contains_nir(text: str) -> bool:
    """True when any 15 consecutive characters of ``text`` are shaped like a NIR."""
    return any(
        is_nir_shaped(text[start : start + NIR_LENGTH])
        for start in range(len(text) - NIR_LENGTH + 1)
    )
