"""The pre-run check every command that calls a model makes before its first call: the ledger
verifies (since its checkpoint) and can take appends, the settings are valid (reading them
validates them), and every endpoint of the models is reachable and takes its key. The estimate
and its confirmation are the command line's part. Nothing is written, nothing is paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mapelite.banks import check_recorded_sample
from mapelite.config.settings import Settings
from mapelite.ledger.chain import Ledger
from mapelite.ledger.checkpoint import check_before_run
from mapelite.providers.preflight import preflight_endpoints
from mapelite.schemas import HarnessRunnerOptions
from mapelite.swarm.plan import RunPlan, check_run_id_reuse


async def pre_run_check(models: Iterable[str], settings: Settings) -> int:
    """Raise the first problem as one-line `MapEliteError` (`LedgerError` /
    `LedgerCorruptError`, `ConfigError`, `PreflightError`); returns the ledger's entry count.
    The ledger comes first: a run that could not record its results must not start."""
    import asyncio

    entries = await asyncio.to_thread(check_before_run, Ledger(settings.ledger))
    await preflight_endpoints(list(models), settings)
    return entries


def pre_run_check_sync(models: Iterable[str], settings: Settings) -> int:
    """`pre_run_check` for a caller outside an event loop."""
    import asyncio

    return asyncio.run(pre_run_check(list(models), settings))


def check_resume(ledger: Ledger, plans: Sequence[RunPlan], options: HarnessRunnerOptions) -> None:
    """A run id given again resumes only the very run it names: the same kind, pattern and
    models per unit (`check_run_id_reuse`) and the same item sample (`check_recorded_sample`).
    The command line asks before it prints anything, so a refusal is its only line; the flows
    ask again (they may be started without the command line)."""
    for plan in plans:
        recorded = ledger.results_for_run(plan.run_id)
        check_run_id_reuse(plan, recorded)
        check_recorded_sample(plan.run_id, recorded, options)
