"""Statistics: intervals, paired tests, power, comparisons, swarm verdicts and fitness, pure
Python. Imports `mapelite.errors`, `mapelite.schemas` and `mapelite.harnesses` (for the
majority vote).
"""
