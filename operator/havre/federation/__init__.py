"""Federation: Havre on a Karmada hub places each workspace on one member cluster.

The hub holds Workspaces, Datasets and grants; members are ordinary clusters running
Havre with their own object store and catalog database. On the hub, Havre (``--hub``
mode, ``HAVRE_FEDERATION_ROLE=hub``) renders a ClusterPropagationPolicy per workspace
from its placement and its datasets' residency, installs the ResourceInterpreter
customization that brings each member's status back, reports what Karmada cannot (no
member fits, member unreachable), and refuses grants that would move resident data.
Pure parts: ``placement``, ``status``, ``residency``, ``render/``.
"""
