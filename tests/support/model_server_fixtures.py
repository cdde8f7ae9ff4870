"""Fixtures (filled in by the part that needs them)."""
