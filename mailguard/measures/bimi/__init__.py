"""BIMI (work in progress)."""
