"""NATS JetStream runner: harness-run requests on a work-queue stream, results on another.

Requests go to ``hfo.harness.{harness_id}``; any number of workers
(``python -m runners.nats worker``) share one durable pull consumer; each result comes back on
``hfo.harness.{harness_id}.result.{request_id}``. Delivery is at-least-once: the requester keeps
the first result per request id and drops the rest. Request ids are deterministic from the
unit (run id, unit key, harness, model), so a re-submitted unit whose result is already stored
is answered from the results stream without running again, and a re-sent request is dropped by
the server's duplicate window.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from mapelite.config.settings import Settings, get_settings
from mapelite.errors import MapEliteError
from mapelite.schemas import HarnessResult
from runners._remote import PerLoop, ShippingRunner, request_token
from runners.base import UnitRequest
from runners.nats_topology import (
    MSG_ID,
    RESULT_STREAM,
    RESULT_SUBJECTS,
    Topology,
    connect,
    ensure_topology,
    request_subject,
    result_subject,
)
from runners.nats_worker import NatsRequest

# How long a request may wait before the requester also looks in the results stream (covers a
# result published while this connection was reconnecting).
RECHECK_AFTER_S = 5.0


@dataclass
class _Connection:
    nc: NATS
    js: JetStreamContext
    subscription: Subscription | None = None
    pending: dict[str, asyncio.Future[HarnessResult]] = field(default_factory=dict)


class NatsHarnessRunner(ShippingRunner):
    name = "nats"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        topology: Topology | None = None,
        result_timeout_s: float | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.topology = topology or Topology()
        self.result_timeout_s = result_timeout_s
        self._connections: PerLoop[_Connection] = PerLoop(self._open)

    async def _open(self) -> _Connection:
        nc = await connect(self.settings)
        js = nc.jetstream()
        await ensure_topology(js, self.topology)
        conn = _Connection(nc=nc, js=js)

        async def on_result(message: Msg) -> None:
            request_id = message.subject.rsplit(".", 1)[-1]
            future = conn.pending.get(request_id)
            if future is not None and not future.done():  # later copies are duplicates
                future.set_result(HarnessResult.model_validate_json(message.data))

        conn.subscription = await nc.subscribe(RESULT_SUBJECTS, cb=on_result)
        return conn

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        """Any mix of harness runs, in input order, exactly one result each."""
        conn = await self._connections.get()
        ids = [request_token(r) for r in requests]
        futures: dict[str, asyncio.Future[HarnessResult]] = {}
        loop = asyncio.get_running_loop()
        for request_id in ids:
            if request_id not in futures:
                futures[request_id] = conn.pending.setdefault(request_id, loop.create_future())
        # Subscribe-before-publish: the result subscription already exists, then publish.
        by_id = dict(zip(ids, requests, strict=True))
        try:
            await asyncio.gather(*(self._submit(conn, rid, by_id[rid]) for rid in futures))
            results = await self._await_all(conn, futures, by_id)
        finally:
            for request_id in futures:
                conn.pending.pop(request_id, None)
        return [results[rid] for rid in ids]

    async def _submit(self, conn: _Connection, request_id: str, request: UnitRequest) -> None:
        stored = await self._stored_result(conn, request_id, request.harness_id)
        future = conn.pending[request_id]
        if stored is not None:
            if not future.done():
                future.set_result(stored)
            return
        payload = NatsRequest(request_id=request_id, unit=request).model_dump_json()
        await conn.js.publish(
            request_subject(request.harness_id),
            payload.encode("utf-8"),
            headers={MSG_ID: request_id},
        )

    async def _stored_result(
        self, conn: _Connection, request_id: str, harness_id: int
    ) -> HarnessResult | None:
        try:
            message = await conn.js.get_last_msg(
                RESULT_STREAM, result_subject(harness_id, request_id)
            )
        except NotFoundError:
            return None
        if message.data is None:
            return None
        return HarnessResult.model_validate_json(message.data)

    async def _await_all(
        self,
        conn: _Connection,
        futures: dict[str, asyncio.Future[HarnessResult]],
        requests: dict[str, UnitRequest],
    ) -> dict[str, HarnessResult]:
        timeout = self.result_timeout_s
        if timeout is None:
            longest = max(r.options.timeout_s for r in requests.values())
            timeout = longest * self.topology.max_deliver + 60.0
        deadline = time.monotonic() + timeout
        recheck_at = time.monotonic() + RECHECK_AFTER_S
        while True:
            waiting = [f for f in futures.values() if not f.done()]
            if not waiting:
                return {rid: f.result() for rid, f in futures.items()}
            now = time.monotonic()
            if now >= deadline:
                raise MapEliteError(
                    f"no NATS worker answered {len(waiting)} of {len(futures)} harness runs "
                    f"within {timeout:g} s; start one with `python -m runners.nats worker`"
                )
            if now >= recheck_at:
                await self._recheck(conn, futures, requests)
                recheck_at = time.monotonic() + RECHECK_AFTER_S
            await asyncio.wait(waiting, timeout=min(RECHECK_AFTER_S, deadline - now))

    async def _recheck(
        self,
        conn: _Connection,
        futures: dict[str, asyncio.Future[HarnessResult]],
        requests: dict[str, UnitRequest],
    ) -> None:
        for request_id, future in futures.items():
            if future.done():
                continue
            stored = await self._stored_result(conn, request_id, requests[request_id].harness_id)
            if stored is not None and not future.done():
                future.set_result(stored)

    async def aclose(self) -> None:
        conn = self._connections.pop_current()
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.nc.drain()


if __name__ == "__main__":
    # The entry point `python -m runners.nats worker` runs the command line's worker.
    from cli.workers import nats_main

    raise SystemExit(nats_main())
