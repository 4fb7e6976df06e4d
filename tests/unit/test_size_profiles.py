"""The size profiles shipped in crds/defaults are valid, and `standard` is the API's default."""

from __future__ import annotations

from pathlib import Path

import yaml

from havre.api.model import Size, SizeOverrides, SizeProfileSpec, WorkspaceSpec, resolve_size

PROFILES = Path(__file__).parents[2] / "crds" / "defaults" / "size-profiles.yaml"


def shipped() -> dict[str, SizeProfileSpec]:
    docs = [d for d in yaml.safe_load_all(PROFILES.read_text()) if d]
    assert {d["kind"] for d in docs} == {"SizeProfile"}
    return {d["metadata"]["name"]: SizeProfileSpec.model_validate(d["spec"]) for d in docs}


def test_small_standard_and_large_are_shipped_and_grow_in_that_order() -> None:
    profiles = shipped()
    assert set(profiles) == {"small", "standard", "large"}
    workers = [profiles[n].workers for n in ("small", "standard", "large")]
    assert workers == sorted(workers) and workers[0] < workers[-1]


def test_the_default_profile_is_shipped_with_the_built_in_sizes() -> None:
    default = WorkspaceSpec.model_fields["size_profile"].default
    profile = shipped()[default]
    assert Size.model_validate(profile.model_dump(exclude={"description"})) == Size()


def test_overrides_replace_only_the_fields_they_set() -> None:
    profile = Size(workers=4, cpu="8", memory="32Gi", storage="1Ti")
    assert resolve_size(profile, SizeOverrides()) == profile
    assert resolve_size(profile, SizeOverrides(workers=0)) == profile.model_copy(
        update={"workers": 0}
    )
