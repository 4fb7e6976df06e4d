"""Datasets a data steward publishes: the synthetic SNDS sample and the Iceberg publisher.

``snds`` generates the sample (pure, seeded); ``publish`` writes tables as Iceberg tables
into a dataset bucket and its JDBC catalog database; ``nir`` recognises NIR-shaped values.
"""
