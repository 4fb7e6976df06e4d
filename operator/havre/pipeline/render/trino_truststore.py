"""The platform CA as a Java trust store, for the JVM's own TLS clients in Trino.

Trino's S3 file system (AWS SDK) has no setting for a CA: it trusts what the JVM trusts,
``javax.net.ssl.trustStore``. Java reads no PEM there, and a PKCS#12 file made without
Java's private "trusted certificate" attribute holds no trusted entry for it, so this
writes the JKS format (still read by JDK 25): magic, version 2, one trusted-certificate
entry per CA of the bundle, and the SHA-1 integrity digest keyed by the store password.
Deterministic: the same bundle gives the same bytes, so the config checksum is stable.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

#: Not a secret: it only guards the file's integrity, and trust stores hold no key.
PASSWORD = "changeit"  # noqa: S105
_MAGIC, _VERSION, _TRUSTED_CERT = 0xFEEDFEED, 2, 2


def _utf(text: str) -> bytes:
    data = text.encode()  # aliases are ASCII, where Java's modified UTF-8 is plain UTF-8
    return struct.pack(">H", len(data)) + data


def java_truststore(pem_bundle: str) -> bytes:
    """Every certificate of ``pem_bundle`` as a trusted entry of a JKS trust store."""
    certificates = x509.load_pem_x509_certificates(pem_bundle.encode())
    body = struct.pack(">III", _MAGIC, _VERSION, len(certificates))
    for index, certificate in enumerate(certificates):
        der = certificate.public_bytes(Encoding.DER)
        body += struct.pack(">I", _TRUSTED_CERT) + _utf(f"havre-ca-{index}")
        body += struct.pack(">q", 0) + _utf("X.509") + struct.pack(">I", len(der)) + der
    key = PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite"
    return body + hashlib.sha1(key + body, usedforsecurity=False).digest()
