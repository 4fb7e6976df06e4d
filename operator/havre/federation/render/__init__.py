"""Pure renderers of the hub's Karmada objects (no client imports)."""
