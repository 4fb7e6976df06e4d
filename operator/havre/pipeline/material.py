"""The secret material of a workspace: credentials already issued (kept), or new ones.

Part of the dereference step: the only place a reconcile makes randomness, so every step
after it is a function of its inputs. A credential is generated only when none is kept, and
the Trino certificate only when the kept one must be renewed: a reconcile never rotates
what works.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from havre.errors import HavreError
from havre.external.pki import CertificateAuthority, issue, needs_renewal
from havre.pipeline.conditions import Check
from havre.pipeline.render.secrets import CATALOG_SECRET, STORAGE_SECRET
from havre.pipeline.render.trino_workloads import INTERNAL_SECRET, INTERNAL_SECRET_KEY, TLS_SECRET

TLS_KEY = "tls-combined.pem"
#: Secret name → the key holding its credential, for what a workspace may be issued.
CREDENTIAL_KEYS = {
    STORAGE_SECRET: "AWS_SECRET_ACCESS_KEY",
    CATALOG_SECRET: "PGPASSWORD",
    INTERNAL_SECRET: INTERNAL_SECRET_KEY,
    TLS_SECRET: TLS_KEY,
}


@dataclass(frozen=True)
class Material:
    storage_secret_key: str
    catalog_password: str
    trino_shared_secret: str
    #: The combined PEM (key, certificate, CA) issued by the operator, or None when
    #: cert-manager issues it or the platform CA is missing (``problem`` says so).
    trino_certificate: str | None = None
    problem: Check | None = None
    #: False when the kept credentials could not be read: nothing is handed out this run
    #: (``unreadable`` says why), removals still run.
    readable: bool = True
    unreadable: Check | None = None

    def __repr__(self) -> str:  # credentials must never reach a log line
        return f"Material(certificate={'yes' if self.trino_certificate else 'no'})"

    @classmethod
    def unavailable(cls, reason: str, message: str) -> Material:
        """No material: the kept credentials could not be read."""
        check = Check(
            "Credentials",
            False,
            reason,
            f"The workspace's kept credentials could not be read ({message}); nothing new is "
            "handed out until they can, access removals are still applied.",
        )
        return cls("", "", "", readable=False, unreadable=check)


def _kept_or_new(kept: Mapping[str, Mapping[str, str]], secret: str, size: int) -> str:
    return kept.get(secret, {}).get(CREDENTIAL_KEYS[secret]) or secrets.token_hex(size)


def certificate(
    kept: Mapping[str, Mapping[str, str]],
    ca: CertificateAuthority | None,
    ca_ref: str,
    dns_names: list[str],
    now: dt.datetime,
) -> tuple[str | None, Check | None]:
    """The kept certificate while it is good, else a new one from ``ca``."""
    if ca is None:
        return None, Check(
            "QueryEngine",
            False,
            "PlatformCAMissing",
            f"Secret {ca_ref} with tls.crt and tls.key is needed to issue the workspace's "
            "Trino certificate.",
        )
    kept_pem = kept.get(TLS_SECRET, {}).get(TLS_KEY)
    combined = kept_pem.encode() if kept_pem else None
    try:
        if combined is None or needs_renewal(combined, ca, dns_names, now):
            combined = issue(ca, dns_names, now)
    except HavreError as exc:
        return None, Check("QueryEngine", False, exc.reason, exc.message)
    return combined.decode(), None


def prepare_material(
    kept: Mapping[str, Mapping[str, str]],
    cert: tuple[str | None, Check | None] = (None, None),
) -> Material:
    """Kept credentials, new ones where none is kept, and the certificate."""
    return Material(
        storage_secret_key=_kept_or_new(kept, STORAGE_SECRET, 20),
        catalog_password=_kept_or_new(kept, CATALOG_SECRET, 20),
        trino_shared_secret=_kept_or_new(kept, INTERNAL_SECRET, 32),
        trino_certificate=cert[0],
        problem=cert[1],
    )
