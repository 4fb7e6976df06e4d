"""Derived names are valid for their systems and never collide."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from havre.api import names
from havre.api.model import NAME_PATTERN, is_valid_name

workspace_names = st.from_regex(NAME_PATTERN, fullmatch=True).filter(is_valid_name)
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
PG_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@given(workspace_names)
def test_derived_names_are_valid_for_their_systems(name: str) -> None:
    assert DNS_LABEL.match(names.namespace(name))
    assert 3 <= len(names.bucket(name)) <= 63
    assert PG_IDENT.match(names.database(name))


@given(workspace_names, workspace_names)
def test_distinct_workspaces_never_share_a_derived_name(a: str, b: str) -> None:
    if a != b:
        assert names.namespace(a) != names.namespace(b)
        assert names.database(a) != names.database(b)
        assert names.storage_principal(a) != names.storage_principal(b)


@given(st.text(min_size=1, max_size=128), st.text(min_size=1, max_size=128))
def test_member_binding_names_are_valid_and_distinct(a: str, b: str) -> None:
    name = names.role_binding("viewer", a)
    assert len(name) <= 253 and re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name)
    if a != b:
        assert name != names.role_binding("viewer", b)
