"""Temporal runner: harness runs in chunk activities of a batch workflow, executed by workers.

Granularity (measured, see README): the dev server's history writes, not the worker, bound
throughput, so the cost of a unit is the events it adds. One workflow per batch beats one per
harness run 3-5x; one activity per CHUNK of units (run concurrently by the worker's local
runner) instead of one per unit cuts the events by the chunk size again. A chunk heartbeats the
results it has finished, so a retry after a worker died re-runs only the units without one.

Chunks are bounded by unit count and by payload bytes (requests plus an upper estimate of the
results), and a workflow by payload bytes, to stay well under Temporal's 2 MB blob limit.

Workflow ids are deterministic from the units' run id, unit key, harness and model, so a
re-submission attaches to the running execution (USE_EXISTING) or, once it finished, returns
the stored result without starting any activity.

Worker: ``python -m runners.temporal worker --task-queue Q``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from mapelite.config.settings import Settings, get_settings
from mapelite.errors import MapEliteError
from mapelite.providers.errors import ProviderError
from mapelite.schemas import HarnessResult
from runners._remote import (
    PerLoop,
    ShippingRunner,
    batch_token,
    failed_result,
    unreachable,
    with_engine,
    worker_identity,
)
from runners.base import UnitRequest
from runners.temporal_chunks import DEFAULT_CHUNK_SIZE, DEFAULT_PAYLOAD_BYTES, plan_workflows
from runners.temporal_workflows import (
    ACTIVITY_NAME,
    WORKFLOW_NAME,
    BatchInput,
    ChunkInput,
    ChunkProgress,
    HarnessBatchWorkflow,
)

log = logging.getLogger(__name__)
ADDRESS_SETTING = "MAPELITE_TEMPORAL_ADDRESS"
# A chunk activity reports finished results at most this often (each report carries them all),
# checking for new ones every tick; the SDK's own heartbeat throttle is kept below the tick so
# it does not delay a report.
PROGRESS_INTERVAL_S = 1.0
PROGRESS_TICK_S = 0.2


async def connect_client(settings: Settings) -> Client:
    """A client with the pydantic converter, or a one-line ConfigError within the timeout."""
    timeout = settings.connect_timeout_s
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                connect_timeout=timedelta(seconds=timeout),
            ),
            timeout=timeout,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise unreachable(
            "Temporal", settings.temporal_address, ADDRESS_SETTING, timeout, exc
        ) from None


class TemporalHarnessRunner(ShippingRunner):
    name = "temporal"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        task_queue: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        payload_bytes_limit: int = DEFAULT_PAYLOAD_BYTES,
        heartbeat_timeout_s: float = 30.0,
        max_retries: int = 3,
    ) -> None:
        self.settings = settings or get_settings()
        self.task_queue = task_queue or self.settings.temporal_task_queue
        self.chunk_size = max(1, chunk_size)
        self.payload_bytes_limit = payload_bytes_limit
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.max_retries = max_retries
        self._clients: PerLoop[Client] = PerLoop(lambda: connect_client(self.settings))

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        """Any mix of harness runs, in input order; one activity per chunk of units."""
        if not requests:
            return []
        client = await self._clients.get()
        workflows = self.plan(requests)
        per_workflow = await asyncio.gather(
            *(self._run_workflow(client, chunks) for chunks in workflows)
        )
        return [result for results in per_workflow for result in results]

    def plan(self, requests: Sequence[UnitRequest]) -> list[list[list[UnitRequest]]]:
        return plan_workflows(
            requests, chunk_size=self.chunk_size, payload_bytes_limit=self.payload_bytes_limit
        )

    def workflow_id(self, requests: Sequence[UnitRequest]) -> str:
        context = requests[0].options.context
        run_part = context.run_id if context is not None else "adhoc"
        if len(requests) == 1 and context is not None:
            unit = f"s{context.stage}-a{context.agent}-h{requests[0].harness_id}-r{context.repeat}"
            return f"mapelite-{run_part}-{unit}-{batch_token(requests)[:16]}"
        return f"mapelite-{run_part}-batch-{batch_token(requests)}"

    async def _run_workflow(
        self, client: Client, chunks: list[list[UnitRequest]]
    ) -> list[HarnessResult]:
        workflow_id = self.workflow_id([request for chunk in chunks for request in chunk])
        batch = BatchInput(
            chunks=chunks,
            heartbeat_timeout_s=self.heartbeat_timeout_s,
            max_retries=self.max_retries,
        )
        handle: WorkflowHandle[HarnessBatchWorkflow, list[HarnessResult]]
        try:
            handle = await client.start_workflow(
                WORKFLOW_NAME,
                batch,
                id=workflow_id,
                task_queue=self.task_queue,
                result_type=list[HarnessResult],
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                # A failed execution may run again; a completed one is never repeated.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        except WorkflowAlreadyStartedError:
            handle = client.get_workflow_handle(workflow_id, result_type=list[HarnessResult])
        return await handle.result()

    async def aclose(self) -> None:
        # temporalio clients hold no closable resources of their own; forget this loop's one.
        self._clients.pop_current()


# --- worker side -------------------------------------------------------------------------

_local_runner: object | None = None
# Harness runs in flight on this worker, over all its chunk activities (``--concurrency``).
_unit_slots: asyncio.Semaphore | None = None


def _get_local_runner() -> object:
    global _local_runner
    if _local_runner is None:
        from runners.local import LocalHarnessRunner

        _local_runner = LocalHarnessRunner(get_settings())
    return _local_runner


def _get_unit_slots() -> asyncio.Semaphore:
    global _unit_slots
    if _unit_slots is None:
        _unit_slots = asyncio.Semaphore(64)
    return _unit_slots


def resumed_results(details: Sequence[Any], count: int) -> dict[int, HarnessResult]:
    """Results a previous attempt of this chunk reported in its last heartbeat."""
    if not details:
        return {}
    # Details arrive without type hints: plain JSON, validated here.
    progress = ChunkProgress.model_validate(details[0])
    return {index: result for index, result in progress.results.items() if 0 <= index < count}


class _Progress:
    """Finished results of a chunk, and a version that changes whenever one is added."""

    def __init__(self, results: dict[int, HarnessResult]) -> None:
        self.results = results
        self.version = 0

    def add(self, index: int, result: HarnessResult) -> None:
        self.results[index] = result
        self.version += 1


async def _report_progress(progress: _Progress, liveness_s: float) -> None:
    """Heartbeats carrying the finished results: soon after new ones arrive, but at most every
    PROGRESS_INTERVAL_S, and otherwise every ``liveness_s`` so the server knows the worker lives.

    Every heartbeat carries all of them: the server keeps only the latest details."""
    sent_version = progress.version
    beat_at, reported_at = time.monotonic(), float("-inf")
    while True:
        await asyncio.sleep(PROGRESS_TICK_S)
        now = time.monotonic()
        news = progress.version != sent_version and now - reported_at >= PROGRESS_INTERVAL_S
        if news or now - beat_at >= liveness_s:
            activity.heartbeat(ChunkProgress(results=dict(progress.results)))
            sent_version, beat_at = progress.version, now
            reported_at = now if news else reported_at


def _is_permanent(exc: Exception) -> bool:
    """Retrying cannot help: a bad setting or request, a rejected key, no credits."""
    if isinstance(exc, ProviderError):
        return not exc.retryable
    return isinstance(exc, MapEliteError)


def _utc_timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@activity.defn(name=ACTIVITY_NAME)
async def run_harness_chunk(chunk: ChunkInput) -> list[HarnessResult]:
    """A chunk of harness runs on this worker, concurrently; results in input order.

    Model failures come back as score-0 results (the local runner's contract); a permanent
    error of one unit (config, auth, credits) too, at once. Any other exception fails the
    attempt so Temporal retries it; the retry re-runs only units without a reported result,
    and the last attempt turns what still fails into score-0 results."""
    info = activity.info()
    requests = chunk.requests
    progress = _Progress(resumed_results(info.heartbeat_details, len(requests)))
    engine = {
        "workflow_id": info.workflow_id or "",
        "workflow_run_id": info.workflow_run_id or "",
        "activity_id": info.activity_id,
        "attempt": str(info.attempt),
        "worker": worker_identity(),
    }
    runner = _get_local_runner()
    slots = _get_unit_slots()
    unexpected: dict[int, str] = {}

    async def run_one(index: int, request: UnitRequest) -> None:
        async with slots:
            try:
                [result] = await runner.run_many([request])  # type: ignore[attr-defined]
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if not _is_permanent(exc):  # a bug or a lost connection: let Temporal retry
                    unexpected[index] = error
                    return
                result = failed_result(
                    request, error, runner="temporal", timestamp=_utc_timestamp()
                )
        progress.add(index, with_engine(result, "temporal", engine))

    interval = (info.heartbeat_timeout or timedelta(seconds=30)).total_seconds() / 3
    reporter = asyncio.create_task(_report_progress(progress, interval))
    try:
        await asyncio.gather(
            *(run_one(i, r) for i, r in enumerate(requests) if i not in progress.results)
        )
        if unexpected and info.attempt < chunk.max_attempts:
            # Report what finished before failing, so the retry does not run it again.
            activity.heartbeat(ChunkProgress(results=dict(progress.results)))
            first = next(iter(unexpected.values()))
            raise ApplicationError(f"{len(unexpected)} of {len(requests)} runs failed: {first}")
    finally:
        reporter.cancel()
    for index, error in unexpected.items():
        failed = failed_result(
            requests[index], error, runner="temporal", timestamp=_utc_timestamp()
        )
        progress.add(index, with_engine(failed, "temporal", engine))
    return [progress.results[index] for index in range(len(requests))]


async def run_worker(settings: Settings, task_queue: str, concurrency: int) -> None:
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    global _unit_slots
    _unit_slots = asyncio.Semaphore(max(1, concurrency))
    client = await connect_client(settings)
    # Our models are plain pydantic: import them once, outside the sandbox.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("mapelite", "pydantic")
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[HarnessBatchWorkflow],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        activities=[run_harness_chunk],
        # A chunk holds at least one unit, so this never starves the unit slots.
        max_concurrent_activities=max(1, concurrency),
        # The activities pace their heartbeats themselves (_report_progress).
        max_heartbeat_throttle_interval=timedelta(seconds=PROGRESS_TICK_S / 2),
        # If this worker dies, its cached workflows move to another worker after this long.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )
    log.info("temporal worker on %s, task queue %s", settings.temporal_address, task_queue)
    print(f"worker ready: temporal {settings.temporal_address} queue={task_queue}", flush=True)
    await worker.run()


if __name__ == "__main__":
    # The entry point `python -m runners.temporal worker` runs the command line's worker.
    from cli.workers import temporal_main

    raise SystemExit(temporal_main())
