"""A small world for the pipeline's unit tests: one workspace, its grants and datasets, the
fake API server and the fake external systems, and helpers to read what they hold."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from havre.api import names
from havre.pipeline.platform import Platform
from havre.pipeline.reconcile import Outcome, reconcile_workspace
from havre.pipeline.records import StaticCatalogue
from havre.settings import CatalogSettings, Endpoint, Settings, StorageSettings
from tests.unit.conftest import APPROVAL, NOW, load_example
from tests.unit.fakes import FakeApiServer, FakeCatalogs, FakeStore

UID = "11111111-0000-0000-0000-000000000001"
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

SETTINGS = Settings(
    object_store=Endpoint(cidr="10.0.10.0/24", port=9000),
    catalog_database=Endpoint(cidr="10.0.11.5/32", port=5432),
    storage=StorageSettings(
        url="http://minio:9000", access_key="admin", secret_key=SecretStr("s3cret")
    ),
    catalog=CatalogSettings(host="pg", user="admin", password=SecretStr("p")),
)


def stamp(days: float) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")


def workspace_body(name: str = "cardio", uid: str = UID, **spec: Any) -> dict[str, Any]:
    example = copy.deepcopy(load_example("cardio"))
    return {
        "apiVersion": "havre.io/v1alpha1",
        "kind": "Workspace",
        "metadata": {"name": name, "uid": uid, "generation": 1, "creationTimestamp": stamp(0)},
        "spec": {**example["spec"], "approval": APPROVAL, **spec},
        "status": {},
    }


def dataset_body(name: str, bucket: str = "datasets", prefix: str | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"uid-{name}", "creationTimestamp": stamp(0)},
        "spec": {
            "title": "t",
            "bucket": bucket,
            "prefix": prefix or name,
            "icebergNamespace": "snds",
            "steward": "sam",
        },
    }


def grant_body(name: str, dataset: str, workspace: str = "cardio", **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"uid-{name}", "creationTimestamp": stamp(1), **meta},
        "spec": {
            "workspace": workspace,
            "dataset": dataset,
            "legalBasis": "MR-004",
            "expires": "2030-01-01T00:00:00Z",
        },
    }


@dataclass
class World:
    api: FakeApiServer
    store: FakeStore = field(default_factory=FakeStore)
    catalogs: FakeCatalogs = field(default_factory=FakeCatalogs)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=workspace_body)
    #: SizeProfile bodies; None: every profile exists with the built-in sizes.
    profiles: list[dict[str, Any]] | None = None

    @property
    def platform(self) -> Platform:
        return Platform(self.api.cluster(), SETTINGS, self.store, self.catalogs)

    def reconcile(self, now: dt.datetime = NOW) -> Outcome:
        catalogue = StaticCatalogue.from_bodies(
            [self.body], self.datasets, self.grants, self.profiles
        )
        outcome = reconcile_workspace(self.platform, self.body, catalogue, now)
        self.body["status"] = outcome.status  # as the handler's patch would leave it
        return outcome

    def bindings(self, workspace: str = "cardio") -> set[str]:
        """The users bound in the namespace (not the operator's own service account)."""
        prefix = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{names.namespace(workspace)}/"
        return {
            o["subjects"][0]["name"]
            for path, o in self.api.objects.items()
            if path.startswith(prefix + "rolebindings/") and o["subjects"][0]["kind"] == "User"
        }

    def policy_datasets(self, workspace: str = "cardio") -> set[str]:
        document = self.store.policies.get(names.storage_principal(workspace), {})
        resources = {
            r
            for s in document.get("Statement", [])
            if s.get("Sid") == "DatasetObjects"
            for r in s["Resource"]
        }
        return {r.removeprefix("arn:aws:s3:::").split("/")[1] for r in resources}

    def user_enabled(self, workspace: str = "cardio") -> bool:
        return self.store.users[names.storage_access_key(workspace)][1]


def condition(outcome: Outcome, type_: str) -> dict[str, Any]:
    return next(c for c in outcome.status["conditions"] if c["type"] == type_)
