"""Search over setups (MAP-Elites with racing): setups and their mutations (`setups`), their
cost before running (`costs`), the archive of cell elites (`archive`), the race under a budget
(`racing`), the simulator's truth (`truth`), an in-process simulated engine (`simulated`) and
the report (`report`). Core: imports only `mapelite`, never Prefect, Temporal, NATS or the CLI.
"""
