"""The reconcile pipeline: dereference → validate → render → apply → status.

Steps that need a client: dereference (reads) and apply (writes). validate, render and
status are pure functions of their inputs.
"""
