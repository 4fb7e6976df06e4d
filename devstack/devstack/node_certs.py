"""Credentials of the node's programs, issued by the control plane's own CA.

The kubelet gets a client certificate ``system:node:<name>`` (group ``system:nodes``,
which the Node authorizer knows) and a serving certificate for the node's address, which
the apiserver verifies (``--kubelet-certificate-authority``). kube-proxy is
``system:kube-proxy`` (bound by default to ``system:node-proxier``); the NetworkPolicy
enforcer gets an identity of its own, bound to a ClusterRole with what it reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=365)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class NodePKI:
    """Issues the node's certificates from the control plane CA in ``pki`` into ``out``."""

    def __init__(self, pki: Path, out: Path) -> None:
        self.ca_path = pki / "ca.pem"
        self.ca_key_path = pki / "ca-key.pem"
        self.out = out

    def issue(
        self,
        name: str,
        common_name: str,
        groups: tuple[str, ...] = (),
        *,
        server_ips: tuple[str, ...] = (),
        server_names: tuple[str, ...] = (),
    ) -> tuple[Path, Path]:
        """(cert, key) named ``name``: a client certificate, or a serving one when
        ``server_ips`` or ``server_names`` are given. Reissued when its names changed or
        the CA did (a new control plane)."""
        cert_path, key_path = self.out / f"{name}.pem", self.out / f"{name}-key.pem"
        ca_cert = x509.load_pem_x509_certificate(self.ca_path.read_bytes())
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        subject += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in server_ips]
        if cert_path.exists() and key_path.exists() and _matches(cert_path, ca_cert, subject, sans):
            return cert_path, key_path
        ca_key = serialization.load_pem_private_key(self.ca_key_path.read_bytes(), None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if sans else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path

    def kubeconfig(self, path: Path, server: str, name: str, cert: Path, key: Path) -> Path:
        """A kubeconfig for ``server`` authenticating with ``cert``/``key`` (mode 0600)."""

        def b64(p: Path) -> str:
            return base64.b64encode(p.read_bytes()).decode()

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "havre",
                    "cluster": {"server": server, "certificate-authority-data": b64(self.ca_path)},
                }
            ],
            "users": [
                {
                    "name": name,
                    "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
                }
            ],
            "contexts": [{"name": "havre", "context": {"cluster": "havre", "user": name}}],
            "current-context": "havre",
        }
        _write_private(path, yaml.safe_dump(config).encode())
        return path


def _matches(
    cert_path: Path,
    ca_cert: x509.Certificate,
    subject: list[x509.NameAttribute[Any]],
    sans: list[x509.GeneralName],
) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if cert.issuer != ca_cert.subject or cert.subject != x509.Name(subject):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, Exception):
        return False
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=30):
        return False
    try:
        have = list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        have = []
    return set(have) == set(sans)
