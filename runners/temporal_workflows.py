"""The Temporal workflow: one batch of harness runs, as a few chunk activities, gathered.

A unit (harness run) does not get an activity of its own: the dev server's history writes, not
the worker, bound throughput, so one activity runs a whole chunk of units concurrently and the
history grows by one activity per chunk. Durability comes from the chunk's heartbeats, which
carry the results finished so far: a retry after a worker died re-runs only the rest.

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

ACTIVITY_NAME = "run_harness_chunk"
WORKFLOW_NAME = "HarnessChunkedBatch"
# Permanent failures: retrying cannot help (a bad key, a missing setting, a bad request).
NON_RETRYABLE_ERRORS = ["AuthError", "OutOfCreditsError", "ConfigError", "InvalidInputError"]


class ChunkInput(BaseModel):
    """What one activity runs: units executed concurrently by the worker's local runner."""

    model_config = ConfigDict(extra="forbid")

    requests: list[UnitRequest]
    # The activity needs it to know when a failing unit must become a score-0 result.
    max_attempts: int = Field(default=4, ge=1)


class ChunkProgress(BaseModel):
    """Heartbeat details of a chunk activity: results by index within the chunk."""

    model_config = ConfigDict(extra="forbid")

    results: dict[int, HarnessResult] = Field(default_factory=dict)


class BatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chunks: list[list[UnitRequest]]
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
        per_chunk = await asyncio.gather(
            *(self._run_chunk(chunk, batch, retry) for chunk in batch.chunks)
        )
        return [result for results in per_chunk for result in results]

    async def _run_chunk(
        self, requests: list[UnitRequest], batch: BatchInput, retry: RetryPolicy
    ) -> list[HarnessResult]:
        # The local runner enforces timeout_s per unit, and a dead worker is caught by the
        # heartbeat timeout; this limit is only a backstop for a worker running one unit at once.
        longest = max(request.options.timeout_s for request in requests)
        limit = timedelta(seconds=longest * len(requests) + batch.timeout_margin_s)
        chunk = ChunkInput(requests=requests, max_attempts=batch.max_retries + 1)
        try:
            return await workflow.execute_activity(
                ACTIVITY_NAME,
                chunk,
                result_type=list[HarnessResult],
                start_to_close_timeout=limit,
                heartbeat_timeout=timedelta(seconds=batch.heartbeat_timeout_s),
                retry_policy=retry,
            )
        except ActivityError as exc:
            cause = exc.cause if exc.cause is not None else exc
            kind = getattr(cause, "type", None) or type(cause).__name__
            timestamp = workflow.now().isoformat().replace("+00:00", "Z")
            return [
                failed_result(request, f"{kind}: {cause}", runner="temporal", timestamp=timestamp)
                for request in requests
            ]
