"""Statistics: intervals, paired tests, power, comparisons, swarm verdicts and fitness, pure
Python. Imports `mapelite.errors`, `mapelite.schemas`, `mapelite.harnesses` (for the
majority vote) and `mapelite.ledger` (the latest scoring of each harness run).
"""
