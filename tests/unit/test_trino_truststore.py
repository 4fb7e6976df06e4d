"""The Java trust store is JKS as the JDK reads it: checked here against its format."""

from __future__ import annotations

import hashlib
import struct

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from havre.pipeline.render.trino_truststore import PASSWORD, java_truststore
from tests.unit.trino_fixtures import TEST_CA


def test_trust_store_holds_the_ca_as_a_trusted_entry_with_a_valid_digest() -> None:
    store = java_truststore(TEST_CA)
    body, digest = store[:-20], store[-20:]
    assert struct.unpack(">III", body[:12]) == (0xFEEDFEED, 2, 1)
    assert struct.unpack(">I", body[12:16]) == (2,)  # a trusted certificate entry
    der = x509.load_pem_x509_certificate(TEST_CA.encode()).public_bytes(Encoding.DER)
    assert body.endswith(struct.pack(">I", len(der)) + der)
    key = PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite"
    assert digest == hashlib.sha1(key + body, usedforsecurity=False).digest()


def test_same_bundle_same_bytes_and_one_entry_per_certificate() -> None:
    assert java_truststore(TEST_CA) == java_truststore(TEST_CA)
    two = java_truststore(TEST_CA + TEST_CA)
    assert struct.unpack(">I", two[8:12]) == (2,)
