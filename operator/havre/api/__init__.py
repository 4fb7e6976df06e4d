"""The ``havre.io/v1alpha1`` API: typed specs, derived names and the generated CRDs."""

GROUP = "havre.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
