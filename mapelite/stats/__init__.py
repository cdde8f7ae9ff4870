"""Statistics: intervals, paired tests, power, comparisons, swarm verdicts and fitness, pure
Python. Imports `mapelite.errors`, `mapelite.schemas` and (for the majority vote) the harnesses.
"""
