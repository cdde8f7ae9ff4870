"""The Prefect task that performs one unit: one agent's harness run through the chosen runner.

Attempts, and who bounds them:

- model failures (HTTP errors, timeouts, rate limits) are retried INSIDE the runner, up to
  ``options.retries + 1`` calls per item, honouring Retry-After. The runner never raises for
  them: it returns a score-0 result with ``metadata.error``, which the task returns unchanged
  (so Prefect does not retry it);
- the task's own ``retries=INFRA_RETRIES`` cover infrastructure faults only — the runner raised
  (a Temporal/NATS connection dropped, a worker lost, the Prefect API unreachable while taking a
  limit slot). User errors (`MapEliteError`, e.g. a missing key) are never retried.

So one item costs at most ``options.retries + 1`` model calls, and at most
``(INFRA_RETRIES + 1) * (options.retries + 1)`` only when the infrastructure fails mid-run.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from mapelite.errors import MapEliteError
from mapelite.harnesses import get_harness
from mapelite.schemas import (
    HarnessResult,
    HarnessRunnerOptions,
    ResultMetadata,
    Scores,
    split_model_id,
)
from tasks.limits import provider_slot
from tasks.runtime import runner_handle

INFRA_RETRIES = 2


async def _infrastructure_fault(task: Any, task_run: Any, state: Any) -> bool:
    """Retry when the runner raised something other than a user error."""
    try:
        await state.aresult()
    except MapEliteError:
        return False
    except Exception:
        return True
    return False


@task(
    name="harness-run",
    task_run_name="h{harness_id} {model}",
    retries=INFRA_RETRIES,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_infrastructure_fault,
    # The ledger, not Prefect's cache, is what resumes a run (keyed by unit key).
    cache_policy=NO_CACHE,
    persist_result=False,
)
async def run_harness_task(
    runner_key: str, harness_id: int, model: str, options: HarnessRunnerOptions
) -> HarnessResult:
    handle = runner_handle(runner_key)
    provider, _ = split_model_id(model)
    async with provider_slot(provider, handle.unit_slot):
        result = await handle.runner.run(harness_id, model, options)
    context = TaskRunContext.get()
    if context is not None:
        engine_id = dict(result.metadata.engine_id)
        engine_id.setdefault("prefect_task_run", str(context.task_run.id))
        if context.task_run.flow_run_id is not None:
            engine_id.setdefault("prefect_flow_run", str(context.task_run.flow_run_id))
        result = result.model_copy(
            update={"metadata": result.metadata.model_copy(update={"engine_id": engine_id})}
        )
    return result


def failed_result(
    harness_id: int, model: str, options: HarnessRunnerOptions, runner: str, error: str
) -> HarnessResult:
    """A score-0 entry for a unit whose runner raised even after the task retries: it is
    recorded (the batch goes on) and, being failed, re-run on resume."""
    harness = get_harness(harness_id)
    context = options.context
    metadata: dict[str, Any] = {"run_id": context.run_id if context else "unknown"}
    if context is not None:
        metadata.update(
            unit_key=context.unit_key,
            pattern=context.pattern,
            stage=context.stage,
            agent=context.agent,
            role=context.role,
            upstream=list(context.upstream),
        )
    return HarnessResult(
        harness_id=harness_id,
        harness_name=harness.name,
        model=model,
        scores=Scores(raw=0, normalized=0),
        metadata=ResultMetadata(
            **metadata,
            runner=runner,
            error=error[:500],
            attempts=0,
        ),
    )
