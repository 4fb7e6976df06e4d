"""Havre's Grafana dashboards as code (grafana-foundation-sdk, pinned to one Grafana build).

``python -m dashboards`` writes ``charts/havre/files/dashboards/*.json``; the chart ships
them as ConfigMaps for Grafana's dashboard sidecar. ``spec`` says what a panel is,
``platform`` and ``workspace`` list the panels, ``build`` turns them into Grafana JSON,
``pictures`` plots the same queries from a Prometheus for the docs.
"""
