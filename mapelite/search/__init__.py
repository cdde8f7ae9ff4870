"""Search over setups (MAP-Elites with racing): setups and their mutations (`setups`), their
cost before running (`costs`), the archive of cell elites (`archive`), the race under a budget
(`racing`), the simulator's truth (`truth`), an in-process simulated engine (`simulated`) and
the report (`report`). Never Prefect, Temporal, NATS or the CLI.

Imports `mapelite.banks`, `mapelite.catalog`, `mapelite.errors`, `mapelite.harnesses`,
`mapelite.providers`, `mapelite.schemas`, `mapelite.stats` and `mapelite.swarm`.
"""
