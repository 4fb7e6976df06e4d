"""An approver decides with ``havre workspace approve|reject`` under their own identity (a
service account's token here, as a pipeline's robot would), against the real API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from havre import cli
from tests.integration.conftest import Kube
from tests.integration.helpers import kubectl, service_account_kubeconfig
from tests.integration.workspaces import delete, request, unique

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def identities(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Kubeconfigs of an approver and of a researcher, each a service account."""
    namespace = unique("cli")
    assert kubectl(kube.kubeconfig, "create", "namespace", namespace).returncode == 0
    folder = tmp_path_factory.mktemp("cli")
    configs = {}
    for account, persona in (("approver", "havre-approver"), ("researcher", "havre-researcher")):
        made = kubectl(kube.kubeconfig, "create", "serviceaccount", account, "-n", namespace)
        assert made.returncode == 0, made.stderr
        bound = kubectl(
            kube.kubeconfig, "create", "clusterrolebinding", f"{namespace}-{account}",
            f"--clusterrole={persona}", f"--serviceaccount={namespace}:{account}",
        )  # fmt: skip
        assert bound.returncode == 0, bound.stderr
        configs[account] = service_account_kubeconfig(
            kube.kubeconfig, folder / f"{account}.kubeconfig", namespace, account
        )
    configs["namespace"] = namespace
    yield configs
    for account in ("approver", "researcher"):
        kubectl(kube.kubeconfig, "delete", "clusterrolebinding", f"{namespace}-{account}")
    kubectl(kube.kubeconfig, "delete", "namespace", namespace, "--wait=false")


def spec_of(kube: Kube, name: str) -> dict[str, Any]:
    got = kubectl(kube.kubeconfig, "get", "workspace", name, "-o", "yaml")
    assert got.returncode == 0, got.stderr
    spec: dict[str, Any] = yaml.safe_load(got.stdout)["spec"]
    return spec


def havre(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_approver_lists_requests_then_approves_one_as_themselves(
    kube: Kube, identities: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("cli-req")
    made = kubectl(
        kube.kubeconfig, "create", "-f", "-", stdin=yaml.safe_dump(request(name, members=[]))
    )
    assert made.returncode == 0, made.stderr
    approver = identities["approver"]
    code, out, _ = havre(capsys, "workspace", "requests", "--kubeconfig", approver)
    assert code == 0 and name in out

    code, out, err = havre(
        capsys,
        "workspace",
        "approve",
        name,
        "--reason",
        "CNIL DR-2026-118",
        "--kubeconfig",
        approver,
    )
    assert code == 0, err
    me = f"system:serviceaccount:{identities['namespace']}:approver"
    assert out.strip() == f"workspace {name}: Approved by {me}"
    assert spec_of(kube, name)["approval"] == {
        "decision": "Approved",
        "by": me,
        "reason": "CNIL DR-2026-118",
    }
    code, out, _ = havre(capsys, "workspace", "requests", "--kubeconfig", approver)
    assert code == 0 and name not in out

    code, out, err = havre(capsys, "workspace", "reject", name, "--kubeconfig", approver)
    assert code == 0, err
    assert spec_of(kube, name)["approval"] == {"decision": "Rejected", "by": me}
    delete(kube.kubeconfig, name)


def test_researcher_is_refused_by_the_api_server_with_its_reason(
    kube: Kube, identities: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    name = unique("cli-self")
    made = kubectl(
        kube.kubeconfig, "create", "-f", "-", stdin=yaml.safe_dump(request(name, members=[]))
    )
    assert made.returncode == 0, made.stderr
    code, _, err = havre(
        capsys, "workspace", "approve", name, "--kubeconfig", identities["researcher"]
    )
    assert code == 1
    assert "forbidden" in err and "researcher" in err
    assert "approval" not in spec_of(kube, name)
    code, _, err = havre(
        capsys, "workspace", "approve", unique("absent"), "--kubeconfig", identities["approver"]
    )
    assert code == 1 and "not found" in err
    delete(kube.kubeconfig, name)
