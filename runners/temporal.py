"""Temporal runner: harness runs as activities of a batch workflow, executed by workers.

Granularity (measured, see README): one workflow per batch that gathers its activities is 3-5x
faster than one workflow per harness run, because the server, not the worker, is the bottleneck.
So `run_many`/`run_batch` put up to `chunk_size` runs into one workflow (chunked to stay far
below the 2000-pending-activities limit and the payload size limit); `run` is a batch of one.

Workflow ids are deterministic from the units' run id, unit key, harness and model, so a
re-submission attaches to the running execution (USE_EXISTING) or, once it finished, returns
the stored result without starting any activity.

Worker: ``python -m runners.temporal worker --task-queue Q``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from mapelite.errors import MapEliteError
from mapelite.schemas import HarnessResult, HarnessRunnerOptions
from mapelite.settings import Settings, get_settings
from runners._remote import (
    PerLoop,
    UnitRequest,
    batch_token,
    unreachable,
    with_engine,
    worker_identity,
)
from runners.temporal_workflows import (
    ACTIVITY_NAME,
    WORKFLOW_NAME,
    BatchInput,
    HarnessBatchWorkflow,
)

log = logging.getLogger(__name__)
ADDRESS_SETTING = "MAPELITE_TEMPORAL_ADDRESS"
DEFAULT_CHUNK_SIZE = 100


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


class TemporalHarnessRunner:
    name = "temporal"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        task_queue: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        heartbeat_timeout_s: float = 30.0,
        max_retries: int = 3,
    ) -> None:
        self.settings = settings or get_settings()
        self.task_queue = task_queue or self.settings.temporal_task_queue
        self.chunk_size = chunk_size
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.max_retries = max_retries
        self._clients: PerLoop[Client] = PerLoop(lambda: connect_client(self.settings))

    async def run(
        self, harness_id: int, model: str, options: HarnessRunnerOptions
    ) -> HarnessResult:
        [result] = await self.run_many(
            [UnitRequest(harness_id=harness_id, model=model, options=options)]
        )
        return result

    async def run_batch(
        self, harness_id: int, models: Sequence[str], options: HarnessRunnerOptions
    ) -> list[HarnessResult]:
        requests = [UnitRequest(harness_id=harness_id, model=m, options=options) for m in models]
        return await self.run_many(requests)

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        """Any mix of harness runs, in input order; one workflow per chunk."""
        client = await self._clients.get()
        chunks = [
            list(requests[i : i + self.chunk_size])
            for i in range(0, len(requests), self.chunk_size)
        ]
        per_chunk = await asyncio.gather(*(self._run_chunk(client, chunk) for chunk in chunks))
        return [result for chunk_results in per_chunk for result in chunk_results]

    def workflow_id(self, requests: Sequence[UnitRequest]) -> str:
        context = requests[0].options.context
        run_part = context.run_id if context is not None else "adhoc"
        if len(requests) == 1 and context is not None:
            unit = f"s{context.stage}-a{context.agent}-h{requests[0].harness_id}-r{context.repeat}"
            return f"mapelite-{run_part}-{unit}-{batch_token(requests)[:16]}"
        return f"mapelite-{run_part}-batch-{batch_token(requests)}"

    async def _run_chunk(self, client: Client, requests: list[UnitRequest]) -> list[HarnessResult]:
        workflow_id = self.workflow_id(requests)
        batch = BatchInput(
            requests=requests,
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


def _get_local_runner() -> object:
    global _local_runner
    if _local_runner is None:
        from runners.local import LocalHarnessRunner

        _local_runner = LocalHarnessRunner(get_settings())
    return _local_runner


async def _heartbeat_until_cancelled(interval_s: float) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(interval_s)


@activity.defn(name=ACTIVITY_NAME)
async def run_harness_unit(request: UnitRequest) -> HarnessResult:
    """One harness run on this worker; model failures come back as score-0 results."""
    info = activity.info()
    interval = (info.heartbeat_timeout or timedelta(seconds=30)).total_seconds() / 3
    heartbeat = asyncio.create_task(_heartbeat_until_cancelled(interval))
    runner = _get_local_runner()
    try:
        result: HarnessResult = await runner.run(  # type: ignore[attr-defined]
            request.harness_id, request.model, request.options
        )
    except MapEliteError as exc:
        raise ApplicationError(exc.message, type=type(exc).__name__, non_retryable=True) from None
    finally:
        heartbeat.cancel()
    return with_engine(
        result,
        "temporal",
        {
            "workflow_id": info.workflow_id or "",
            "workflow_run_id": info.workflow_run_id or "",
            "activity_id": info.activity_id,
            "attempt": str(info.attempt),
            "worker": worker_identity(),
        },
    )


async def run_worker(settings: Settings, task_queue: str, concurrency: int) -> None:
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    client = await connect_client(settings)
    # Our models are plain pydantic: import them once, outside the sandbox.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("mapelite", "pydantic")
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[HarnessBatchWorkflow],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        activities=[run_harness_unit],
        max_concurrent_activities=concurrency,
        # If this worker dies, its cached workflows move to another worker after this long.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    )
    log.info("temporal worker on %s, task queue %s", settings.temporal_address, task_queue)
    print(f"worker ready: temporal {settings.temporal_address} queue={task_queue}", flush=True)
    await worker.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runners.temporal")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="execute harness runs from a task queue")
    worker.add_argument("--task-queue", default=None)
    worker.add_argument("--address", default=None, help="overrides MAPELITE_TEMPORAL_ADDRESS")
    worker.add_argument("--concurrency", type=int, default=64, help="activities in flight")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.address:
        settings = settings.model_copy(update={"temporal_address": args.address})
    queue = args.task_queue or settings.temporal_task_queue
    try:
        asyncio.run(run_worker(settings, queue, args.concurrency))
    except MapEliteError as exc:
        print(f"error: {exc.message}", flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
