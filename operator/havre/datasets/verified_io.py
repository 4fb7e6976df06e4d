"""PyIceberg's PyArrow file IO with the object store's TLS verified against a given CA.

PyIceberg 0.12 builds PyArrow's S3 file system from a fixed set of properties and has none
for a private CA, so an object store whose certificate comes from the platform's own CA
could only be reached by trusting it process-wide. This file IO builds the S3 file system
from the same documented properties plus ``s3.ca-file`` (a PEM file), handed to PyArrow's
``tls_ca_file_path``: the steward's keys travel only to a store that certificate verifies.
"""

from __future__ import annotations

from pyarrow.fs import FileSystem, S3FileSystem  # type: ignore[import-untyped]
from pyiceberg.io.pyarrow import PyArrowFileIO

#: The PEM CA bundle that signs the object store's certificate.
S3_CA_FILE = "s3.ca-file"


class VerifiedPyArrowFileIO(PyArrowFileIO):
    """``py-io-impl`` for the publish tool (``havre.datasets.publish``)."""

    def _initialize_s3_fs(self, netloc: str | None) -> FileSystem:
        endpoint = self.properties.get("s3.endpoint")
        scheme = "https"
        if endpoint and endpoint.startswith("http://"):
            scheme = "http"
        host = endpoint.split("://", 1)[-1].rstrip("/") if endpoint else None
        return S3FileSystem(
            access_key=self.properties.get("s3.access-key-id"),
            secret_key=self.properties.get("s3.secret-access-key"),
            region=self.properties.get("s3.region"),
            endpoint_override=host,
            scheme=scheme,
            force_virtual_addressing=False,  # MinIO serves buckets as paths
            tls_ca_file_path=self.properties.get(S3_CA_FILE),
        )
