"""Systems outside the cluster, each behind a small idempotent interface keyed by stable names.

The interfaces (``objectstore.ObjectStore``) are what the pipeline depends on; the modules
named after a product (``minio``) implement them with that product's client.
"""
