"""Prefect flows: swarm, batch, eval, report.

Importing this package prepares Prefect's environment (quiet, persistent embedded default; see
`flows.embedded`) before any flow module imports Prefect.
"""

from flows.embedded import prepare_environment

prepare_environment()
