"""The ledger: the hash chain, its line format, the pre-run checkpoint, the summary index,
run ids and what a run's item outcomes say. Imports only `mapelite.errors` and `mapelite.schemas`.
"""
