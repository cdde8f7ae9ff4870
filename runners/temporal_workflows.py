"""The Temporal workflow: one batch of harness runs, each an activity, gathered.

Kept in its own module because the workflow sandbox re-imports it: it must not pull in httpx
(the activity's dependencies), only pydantic models passed through the sandbox.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, Field

    from mapelite.schemas import HarnessResult
    from runners._remote import failed_result
    from runners.base import UnitRequest

ACTIVITY_NAME = "run_harness_unit"
WORKFLOW_NAME = "HarnessBatch"
# Permanent failures: retrying cannot help (a bad key, a missing setting, a bad request).
NON_RETRYABLE_ERRORS = ["AuthError", "OutOfCreditsError", "ConfigError", "InvalidInputError"]


class BatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: list[UnitRequest]
    heartbeat_timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    timeout_margin_s: float = Field(default=30.0, ge=0)


@workflow.defn(name=WORKFLOW_NAME)
class HarnessBatchWorkflow:
    @workflow.run
    async def run(self, batch: BatchInput) -> list[HarnessResult]:
        retry = RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=batch.max_retries + 1,
            non_retryable_error_types=NON_RETRYABLE_ERRORS,
        )
        return list(
            await asyncio.gather(*(self._run_unit(req, batch, retry) for req in batch.requests))
        )

    async def _run_unit(
        self, request: UnitRequest, batch: BatchInput, retry: RetryPolicy
    ) -> HarnessResult:
        # The local runner enforces timeout_s itself; Temporal's limit only catches a stuck worker.
        limit = timedelta(seconds=request.options.timeout_s + batch.timeout_margin_s)
        try:
            return await workflow.execute_activity(
                ACTIVITY_NAME,
                request,
                result_type=HarnessResult,
                start_to_close_timeout=limit,
                heartbeat_timeout=timedelta(seconds=batch.heartbeat_timeout_s),
                retry_policy=retry,
            )
        except ActivityError as exc:
            cause = exc.cause if exc.cause is not None else exc
            kind = getattr(cause, "type", None) or type(cause).__name__
            timestamp = workflow.now().isoformat().replace("+00:00", "Z")
            return failed_result(
                request, f"{kind}: {cause}", runner="temporal", timestamp=timestamp
            )
