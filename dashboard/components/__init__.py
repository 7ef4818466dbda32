"""Reusable layout pieces. They take plain values and return components; no data access."""
