"""NATS worker: pulls harness-run requests from the shared durable consumer and answers them.

Each of ``concurrency`` slots fetches one request at a time; in-flight concurrency per worker
matters more than the number of workers (see the notes). A request is acked only after its
result is published, so a worker killed mid-run leaves the request to be redelivered to another
worker after the consumer's ack wait; each answer is recorded as soon as it is scored
(`runners.nats_answers`), so the redelivery pays only for the items nobody answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from functools import partial
from typing import TYPE_CHECKING

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import BaseModel, ConfigDict, ValidationError

from mapelite.config.settings import Settings
from mapelite.errors import MapEliteError
from mapelite.schemas import HarnessResult, ItemOutcome, utc_now_iso
from runners._remote import failed_result, with_engine, worker_identity
from runners.base import UnitRequest
from runners.nats_answers import AnswerStore, open_bucket
from runners.nats_topology import (
    CONSUMER,
    MSG_ID,
    REQUEST_STREAM,
    Topology,
    connect,
    ensure_topology,
    result_subject,
)

if TYPE_CHECKING:
    from runners.takeover import AnswerHook

log = logging.getLogger(__name__)
FETCH_WAIT_S = 2.0


class NatsRequest(BaseModel):
    """The payload on ``hfo.harness.{harness_id}``."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    unit: UnitRequest


class NatsWorker:
    def __init__(self, settings: Settings, *, concurrency: int = 16, topology: Topology) -> None:
        from runners.local import LocalHarnessRunner

        self.settings = settings
        self.concurrency = concurrency
        self.topology = topology
        self.identity = worker_identity()
        self.runner = LocalHarnessRunner(settings)
        self.answers: AnswerStore | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the runs in flight, take no new ones."""
        self._stopping.set()

    async def run(self) -> None:
        nc = await connect(self.settings)
        js = nc.jetstream()
        await ensure_topology(js, self.topology)
        self.answers = AnswerStore(await open_bucket(js, self.topology))
        subscription = await js.pull_subscribe_bind(durable=CONSUMER, stream=REQUEST_STREAM)
        info = await subscription.consumer_info()
        ack_wait = info.config.ack_wait or self.topology.ack_wait_s
        print(
            f"worker ready: nats {self.settings.nats_url} id={self.identity} "
            f"concurrency={self.concurrency}",
            flush=True,
        )
        try:
            await asyncio.gather(
                *(self._slot(js, subscription, ack_wait) for _ in range(self.concurrency))
            )
        finally:
            await self.runner.aclose()
            # Everything in flight was acked or nacked already; don't wait on idle fetches.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), timeout=2.0)

    async def _slot(
        self, js: JetStreamContext, subscription: JetStreamContext.PullSubscription, ack_wait: float
    ) -> None:
        stopping = asyncio.ensure_future(self._stopping.wait())
        while not self._stopping.is_set():
            fetch = asyncio.ensure_future(subscription.fetch(1, timeout=FETCH_WAIT_S))
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                # Stopping: a message that arrives now is simply redelivered after ack_wait.
                fetch.cancel()
                break
            try:
                messages = fetch.result()
            except TimeoutError:  # fetch raises when nothing is pending; it never returns []
                continue
            for message in messages:
                await self._handle(js, message, ack_wait)

    async def _handle(self, js: JetStreamContext, message: Msg, ack_wait: float) -> None:
        try:
            request = NatsRequest.model_validate_json(message.data)
        except ValidationError:
            log.error("dropping a malformed request on %s", message.subject)
            await message.term()
            return
        keepalive = asyncio.create_task(_extend_while_running(message, ack_wait / 3))
        try:
            result = await self._execute(request, message)
        except Exception:  # infrastructure fault: let another delivery (maybe elsewhere) retry
            log.exception("request %s failed; asking for redelivery", request.request_id)
            await message.nak(delay=1.0)
            return
        finally:
            keepalive.cancel()
        payload = result.model_dump_json().encode("utf-8")
        await js.publish(
            result_subject(request.unit.harness_id, request.request_id),
            payload,
            headers={MSG_ID: request.request_id},
        )
        await message.ack()  # only now: a crash before this point means redelivery

    async def _execute(self, request: NatsRequest, message: Msg) -> HarnessResult:
        unit = request.unit
        recovered, record = await self._answers_of(request, message)
        try:
            result: HarnessResult = await self.runner.run(
                unit.harness_id, unit.model, unit.options, recovered=recovered, on_answer=record
            )
        except MapEliteError as exc:  # permanent (missing key, bad request): retrying cannot help
            result = failed_result(
                unit,
                f"{type(exc).__name__}: {exc.message}",
                runner="nats",
                timestamp=utc_now_iso(),
            )
        return with_engine(
            result,
            "nats",
            {
                "request_id": request.request_id,
                "worker": self.identity,
                "delivery": str(message.metadata.num_delivered),
            },
        )

    async def _answers_of(
        self, request: NatsRequest, message: Msg
    ) -> tuple[list[ItemOutcome], AnswerHook | None]:
        """What a delivery takes over (a redelivery: the answers an earlier delivery recorded)
        and how it records its own answers (`runners.nats_answers`)."""
        store = self.answers
        if store is None:
            return [], None
        recovered: list[ItemOutcome] = []
        if message.metadata.num_delivered > 1:
            recovered = await store.recorded(request.request_id, request.unit)
            if recovered:
                log.info(
                    "request %s: %d answers recorded by an earlier delivery are not paid again",
                    request.request_id,
                    len(recovered),
                )
        return recovered, partial(store.record, request.request_id)


async def _extend_while_running(message: Msg, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        with contextlib.suppress(Exception):
            await message.in_progress()


async def serve(settings: Settings, concurrency: int, topology: Topology) -> None:
    worker = NatsWorker(settings, concurrency=concurrency, topology=topology)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    await worker.run()
