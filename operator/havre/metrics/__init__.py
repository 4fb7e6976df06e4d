"""The operator's Prometheus metrics (see docs/observability.md).

``definitions`` names every metric; ``instrument`` wraps external clients; ``observe`` is
called by the handlers; ``watch`` and ``view`` keep the in-memory state the scrape-time
``collectors`` read; ``usage`` reads bucket usage; ``server`` starts it all.
"""
