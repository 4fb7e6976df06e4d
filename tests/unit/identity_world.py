"""The unit-test world (``world.py``) with an identity provider: Keycloak's groups in
memory, and the members' own object-store policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from havre.api import names
from havre.api.model import Role
from havre.pipeline.identity_sync import IdentitySync
from havre.pipeline.platform import Platform
from havre.settings import IdentitySettings
from tests.unit.fake_identity import FakeIdentity
from tests.unit.world import SETTINGS, World

IDENTITY_SETTINGS = SETTINGS.model_copy(
    update={
        "identity": IdentitySettings(
            url="https://id.example", client_secret=SecretStr("op-secret"), resync_seconds=0
        )
    }
)


@dataclass
class IdentityWorld(World):
    idp: FakeIdentity = field(default_factory=FakeIdentity)
    sync: IdentitySync | None = None

    @property
    def platform(self) -> Platform:
        if self.sync is None:
            self.sync = IdentitySync(self.idp, resync_seconds=0)
        return Platform(
            self.api.cluster(), IDENTITY_SETTINGS, self.store, self.catalogs, identity=self.sync
        )

    def member_policies(self, workspace: str = "cardio") -> dict[str, list[str]]:
        """Who each role's own policy admits, by role (absent: no policy)."""
        found = {}
        for role in Role:
            document = self.store.policies.get(names.member_storage_policy(workspace, role.value))
            if document is not None:
                condition = document["Statement"][0]["Condition"]["StringEquals"]
                found[role.value] = condition["jwt:preferred_username"]
        return found
