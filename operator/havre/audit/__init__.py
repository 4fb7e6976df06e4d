"""The audit trail: every query and every access decision, attributable, in a bucket nobody
can rewrite (docs/audit.md). The receiver runs as ``python -m havre.audit``."""
