"""Issue a workspace's Trino certificate from the platform's CA.

The CA is a Secret the platform admin provides (``tls.crt`` and ``tls.key``, the usual
kubernetes.io/tls layout). Certificates are short-lived and renewed by the reconcile well
before they end; the private key never leaves the workspace's Secret.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from havre.errors import InvalidSpec

VALIDITY = dt.timedelta(days=90)
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class CertificateAuthority:
    cert_pem: bytes
    key_pem: bytes

    def __repr__(self) -> str:  # the key must never reach a log line
        return "CertificateAuthority(...)"


@functools.lru_cache(maxsize=8)
def _ca_certificate(cert_pem: bytes) -> x509.Certificate:
    """The CA's certificate, parsed once per CA (every full pass of every workspace checks
    its certificate against it)."""
    try:
        return x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise InvalidSpec(
            "the platform CA Secret does not hold a PEM certificate and key",
            reason="InvalidPlatformCA",
        ) from exc


@functools.lru_cache(maxsize=8)
def _load_ca(
    ca: CertificateAuthority,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey]:
    """Certificate and key, loaded once per CA: loading (and checking) a private key is the
    costly part, needed only to issue."""
    cert = _ca_certificate(ca.cert_pem)
    try:
        key = serialization.load_pem_private_key(ca.key_pem, None)
    except ValueError as exc:
        raise InvalidSpec(
            "the platform CA Secret does not hold a PEM certificate and key",
            reason="InvalidPlatformCA",
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InvalidSpec("the platform CA key must be EC or RSA", reason="InvalidPlatformCA")
    return cert, key


def issue(ca: CertificateAuthority, dns_names: list[str], now: dt.datetime) -> bytes:
    """A new key and certificate for ``dns_names``, as one PEM: the key, the certificate,
    then the CA (the form Trino's PEM keystore reads)."""
    ca_cert, ca_key = _load_ca(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns_names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM) + ca.cert_pem


def needs_renewal(
    combined_pem: bytes | None, ca: CertificateAuthority, dns_names: list[str], now: dt.datetime
) -> bool:
    """True when there is no certificate, it ends within RENEW_BEFORE, another CA signed
    it, or it does not name exactly ``dns_names``."""
    if not combined_pem:
        return True
    try:
        cert = x509.load_pem_x509_certificates(combined_pem)[0]
    except ValueError:
        return True
    # Only the CA's certificate: the check must stay cheap, and needs no key.
    ca_cert = _ca_certificate(ca.cert_pem)
    if cert.issuer != ca_cert.subject or cert.not_valid_after_utc - now < RENEW_BEFORE:
        return True
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return True
    return sorted(sans.get_values_for_type(x509.DNSName)) != sorted(dns_names)
