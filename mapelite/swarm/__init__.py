"""Swarms: pattern codes and the pure, Prefect-free planning of stages, units and scores.
Imports `mapelite.errors`, `mapelite.schemas`, `mapelite.config`, `mapelite.ledger` and
`mapelite.stats`.
"""
