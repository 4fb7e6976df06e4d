"""Workspace certificates: issued by the platform CA, renewed when they should be."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from havre.errors import InvalidSpec
from havre.external.pki import CertificateAuthority, issue, needs_renewal

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
NAMES = ["trino.ws-cardio.svc", "trino.ws-cardio.svc.cluster.local"]


def make_ca(name: str = "platform-ca") -> CertificateAuthority:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return CertificateAuthority(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def test_issued_certificate_is_signed_by_the_ca_for_exactly_the_names() -> None:
    ca = make_ca()
    combined = issue(ca, NAMES, NOW)
    assert combined.startswith(b"-----BEGIN PRIVATE KEY-----")
    leaf, chain_ca = x509.load_pem_x509_certificates(combined)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    assert chain_ca == ca_cert
    leaf.verify_directly_issued_by(ca_cert)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == NAMES
    assert not needs_renewal(combined, ca, NAMES, NOW)


def test_renewal_when_missing_expiring_renamed_or_from_another_ca() -> None:
    ca = make_ca()
    combined = issue(ca, NAMES, NOW)
    assert needs_renewal(None, ca, NAMES, NOW)
    assert needs_renewal(combined, ca, NAMES, NOW + dt.timedelta(days=61))
    assert needs_renewal(combined, ca, [*NAMES, "extra.example"], NOW)
    assert needs_renewal(combined, make_ca("other-ca"), NAMES, NOW)


def test_a_ca_secret_that_is_not_pem_is_named_in_the_error() -> None:
    with pytest.raises(InvalidSpec, match="platform CA Secret") as caught:
        issue(CertificateAuthority(b"nope", b"nope"), NAMES, NOW)
    assert caught.value.reason == "InvalidPlatformCA"
    assert "nope" not in repr(CertificateAuthority(b"nope", b"nope"))


def test_checking_a_kept_certificate_needs_only_the_cas_certificate() -> None:
    """The check runs on every full pass of every workspace: it never loads the CA's key."""
    ca = make_ca()
    combined = issue(ca, NAMES, NOW)
    without_key = CertificateAuthority(ca.cert_pem, b"not a key")
    assert not needs_renewal(combined, without_key, NAMES, NOW)
    with pytest.raises(InvalidSpec):
        issue(without_key, NAMES, NOW)
