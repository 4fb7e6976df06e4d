"""The one place Havre talks to a Kubernetes API server."""
