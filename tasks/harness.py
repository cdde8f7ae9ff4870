"""The Prefect task that performs a chunk of units (agent harness runs) through the chosen
runner and stores each result in the ledger.

A task run covers up to a stage's worth of units, not one: a Prefect task run costs ≈6 ms of
engine work and API traffic on a SQLite server, which at one task run per unit (plus one per
ledger write) dominated a 512-unit batch. Inside the task the units run concurrently (local
runner: each through `HarnessRunner.run`, stored as it completes; remote runners: the chunk in
one `run_many`, whose results are durable engine-side, stored when it returns).

The task is idempotent by the ledger: it skips units the session has recorded (from the ledger
at start, or stored since), so a Prefect retry or a resumed run never repeats a stored unit.

Attempts, and who bounds them:

- model failures (HTTP errors, timeouts, rate limits) are retried INSIDE the runner, up to
  ``options.retries + 1`` calls per item, honouring Retry-After. The runner never raises for
  them: it returns a score-0 result with ``metadata.error``, which is stored like any result
  (so Prefect does not retry it);
- the task's own ``retries=INFRA_RETRIES`` cover infrastructure faults only — a runner raised
  (a Temporal/NATS connection dropped, a worker lost, the Prefect API unreachable while taking a
  limit slot). The task first stores every unit that did finish, then raises; the retry runs
  only the units still missing. User errors (`MapEliteError`, e.g. a missing key) are never
  retried.

So one item costs at most ``options.retries + 1`` model calls, and at most
``(INFRA_RETRIES + 1) * (options.retries + 1)`` only when the infrastructure fails mid-run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from mapelite.errors import LedgerError, MapEliteError
from mapelite.results import agent_result
from mapelite.schemas import HarnessResult, HarnessRunnerOptions, RunnerName
from runners.base import UnitRequest
from tasks.budget import UnitCost, unit_cost
from tasks.runtime import UnitSession, unit_key_of, unit_session

INFRA_RETRIES = 2


class HarnessRunsRaised(RuntimeError):
    """Some runs of a chunk raised (an infrastructure fault); the others are stored."""


async def _infrastructure_fault(task: Any, task_run: Any, state: Any) -> bool:
    """Retry when a runner raised something other than a user error."""
    try:
        await state.aresult()
    except MapEliteError:
        return False
    except Exception:
        return True
    return False


@task(
    name="harness-runs",
    task_run_name="{label}",
    retries=INFRA_RETRIES,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_infrastructure_fault,
    # The ledger, not Prefect's cache, is what resumes a run (keyed by unit key).
    cache_policy=NO_CACHE,
    persist_result=False,
)
async def run_units_task(
    session_key: str, label: str, units: list[UnitRequest]
) -> list[HarnessResult]:
    """Run the units not yet stored; returns the stored result of every unit that has one
    (units the budget stopped have none)."""
    session = unit_session(session_key)
    todo = [unit for unit in units if not session.is_done(unit)]
    engine_ids = _prefect_ids()
    if session.remote:
        await _run_remote(session, todo, engine_ids)
    else:
        outcomes = await asyncio.gather(
            *(_run_local(session, unit, engine_ids) for unit in todo), return_exceptions=True
        )
        _raise_first_fault(outcomes, len(todo))
    keys = (unit_key_of(unit) for unit in units)
    return [session.recorded[key] for key in keys if key in session.recorded]


async def _run_local(session: UnitSession, unit: UnitRequest, engine_ids: dict[str, str]) -> None:
    key = unit_key_of(unit)
    async with session.gate:
        if session.halted is not None:
            return
        cost = unit_cost(unit)
        reserved = await session.budget.reserve(cost)
        if reserved is None:
            return
        actual = 0.0
        try:
            result = await session.runner.run(unit.harness_id, unit.model, unit.options)
            actual = result.metadata.cost_usd
        except MapEliteError:
            raise
        except Exception as exc:
            session.faults[key] = str(exc)
            raise
        finally:
            session.budget.settle(cost, reserved, actual)
    await _store(session, [with_engine_ids(with_expected_cost(result, cost), engine_ids)])


async def _run_remote(
    session: UnitSession, units: Sequence[UnitRequest], engine_ids: dict[str, str]
) -> None:
    """Units go to the remote runner in rounds: each round is as many of the remaining units as
    the budget admits together (the first may wait for other chunks to settle)."""
    budget = session.budget
    remaining = list(units)
    while remaining and session.halted is None:
        admitted: list[tuple[UnitRequest, UnitCost, float]] = []
        for unit in remaining:
            cost = unit_cost(unit)
            reserved = await budget.reserve(cost, wait=not admitted)
            if reserved is None:
                break
            admitted.append((unit, cost, reserved))
        if not admitted:
            budget.skipped += len(remaining) - 1  # the budget stopped: none of them starts
            return
        remaining = remaining[len(admitted) :]
        batch = [unit for unit, _, _ in admitted]
        results: list[HarnessResult] = []
        try:
            results = await session.runner.run_many(batch)
        except MapEliteError:
            raise
        except Exception as exc:
            session.faults.update((unit_key_of(unit), str(exc)) for unit in batch)
            raise
        finally:
            costs = {r.metadata.unit_key: r.metadata.cost_usd for r in results}
            for unit, cost, reserved in admitted:
                budget.settle(cost, reserved, costs.get(unit_key_of(unit), 0.0))
        expected: dict[str | None, UnitCost] = {unit_key_of(u): c for u, c, _ in admitted}
        priced = [with_expected_cost(r, expected.get(r.metadata.unit_key)) for r in results]
        await _store(session, [with_engine_ids(r, engine_ids) for r in priced])


async def _store(session: UnitSession, results: list[HarnessResult]) -> None:
    """Append paid-for results. A failed append stops the whole run (no unit starts after it)
    and raises a LedgerError, which is never retried: a retry would pay for the lost results
    again and could not record them either."""
    try:
        stored = await session.appender.append_many(results)
    except Exception as exc:
        error = exc if isinstance(exc, LedgerError) else LedgerError(f"{type(exc).__name__}: {exc}")
        session.halt(
            f"{error}; the run stopped scheduling harness runs (results that could not be "
            "written are not in the ledger: once it is writable, re-run with the same --run-id)"
        )
        assert session.halted is not None
        raise LedgerError(session.halted) from None
    session.stored(stored)


def _raise_first_fault(outcomes: Sequence[object], total: int) -> None:
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    for error in errors:
        if isinstance(error, MapEliteError):
            raise error
    if errors:
        first = errors[0]
        raise HarnessRunsRaised(
            f"{len(errors)} of {total} harness runs raised; first: {type(first).__name__}: {first}"
        ) from first


def _prefect_ids() -> dict[str, str]:
    context = TaskRunContext.get()
    if context is None:
        return {}
    ids = {"prefect_task_run": str(context.task_run.id)}
    if context.task_run.flow_run_id is not None:
        ids["prefect_flow_run"] = str(context.task_run.flow_run_id)
    return ids


def with_expected_cost(result: HarnessResult, cost: UnitCost | None) -> HarnessResult:
    """The result with the estimate its budget reserved from: `profile` reports the drift
    between the two per setup."""
    if cost is None:
        return result
    metadata = result.metadata.model_copy(update={"cost_expected_usd": cost.expected_usd})
    return result.model_copy(update={"metadata": metadata})


def with_engine_ids(result: HarnessResult, engine_ids: dict[str, str]) -> HarnessResult:
    """The result with the Prefect task and flow run that performed it (runner ids kept)."""
    if not engine_ids:
        return result
    merged = {**engine_ids, **result.metadata.engine_id}
    metadata = result.metadata.model_copy(update={"engine_id": merged})
    return result.model_copy(update={"metadata": metadata})


def failed_result(
    harness_id: int, model: str, options: HarnessRunnerOptions, runner: str, error: str
) -> HarnessResult:
    """A score-0 entry for a unit whose runner raised even after the task retries: it is
    recorded (the batch goes on) and, being failed, re-run on resume."""
    runner_name = cast(RunnerName, runner)  # a session's runner is one of RUNNER_NAMES
    return agent_result(
        harness_id, model, options.context, runner=runner_name, error=error[:500], attempts=0
    )
