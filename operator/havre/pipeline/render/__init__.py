"""Pure renderers: typed, validated input in, plain manifests out. No client is imported here."""
