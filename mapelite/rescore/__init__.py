"""Scoring stored answers again with today's scorers, without a model call (`map-elite rescore`).

Owns finding a recorded item again from its bank and id (`items`) and the rescoring of ledger
entries (`ledger`): a new entry per harness run whose scores changed, pointing at the original
(``metadata.rescore_of``); the ledger stays append-only.

Imports `mapelite.banks`, `mapelite.harnesses`, `mapelite.ledger`, `mapelite.errors` and
`mapelite.schemas`.
"""
