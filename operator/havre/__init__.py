"""Havre: isolated, time-limited research workspaces on Kubernetes."""

__version__ = "0.1.0"
