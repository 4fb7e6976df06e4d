"""Benchmarks: run against the real local platform; results go to docs/benchmarks.md."""
