"""Credentials are issued once and kept: a reconcile reuses them, and makes new ones only
where none is kept; the Trino certificate is renewed only when due."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from havre.external.pki import CertificateAuthority
from havre.pipeline.material import Material, certificate, prepare_material
from tests.unit.conftest import NOW

NAMES = ["trino.ws-cardio.svc"]


def ca() -> CertificateAuthority:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return CertificateAuthority(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def test_kept_credentials_are_reused_and_missing_ones_made() -> None:
    kept = {"havre-storage": {"AWS_SECRET_ACCESS_KEY": "kept-key"}}
    material = prepare_material(kept)
    assert material.storage_secret_key == "kept-key"
    assert len(material.catalog_password) == 40 and len(material.trino_shared_secret) == 64
    assert prepare_material(kept).catalog_password != material.catalog_password
    assert "kept-key" not in repr(material)


def test_a_good_certificate_is_kept_and_a_missing_ca_says_so() -> None:
    authority = ca()
    issued, problem = certificate({}, authority, "ns/ca", NAMES, NOW)
    assert issued is not None and problem is None
    kept = {"havre-trino-tls": {"tls-combined.pem": issued}}
    assert certificate(kept, authority, "ns/ca", NAMES, NOW)[0] == issued
    renewed, _ = certificate(kept, authority, "ns/ca", NAMES, NOW + dt.timedelta(days=80))
    assert renewed != issued
    none, missing = certificate(kept, None, "ns/ca", NAMES, NOW)
    assert none is None and missing is not None and missing.reason == "PlatformCAMissing"


def test_unreadable_material_hands_out_nothing() -> None:
    material = Material.unavailable("KubernetesUnavailable", "GET refused")
    assert not material.readable
    assert material.unreadable is not None and material.unreadable.type == "Credentials"
