"""JetStream layout shared by the NATS requester and its workers.

- stream ``MAPELITE_HARNESS`` on ``hfo.harness.*`` with work-queue retention: each request is
  delivered to one worker of the ONE durable pull consumer that all workers bind to;
- stream ``MAPELITE_RESULTS`` on ``hfo.harness.*.result.*`` (never overlapping the requests);
- both published with ``Nats-Msg-Id`` = request id, so the server drops re-sent duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StreamConfig
from nats.js.errors import NotFoundError

from mapelite.config.settings import Settings
from runners._remote import unreachable

log = logging.getLogger(__name__)

URL_SETTING = "MAPELITE_NATS_URL"
REQUEST_STREAM = "MAPELITE_HARNESS"
RESULT_STREAM = "MAPELITE_RESULTS"
CONSUMER = "mapelite-harness-workers"
REQUEST_SUBJECTS = "hfo.harness.*"
RESULT_SUBJECTS = "hfo.harness.*.result.*"
MSG_ID = "Nats-Msg-Id"


def request_subject(harness_id: int) -> str:
    return f"hfo.harness.{harness_id}"


def result_subject(harness_id: int, request_id: str) -> str:
    return f"hfo.harness.{harness_id}.result.{request_id}"


@dataclass(frozen=True)
class Topology:
    """Consumer and stream limits. ``ack_wait_s`` is how soon a dead worker's job is redelivered
    (a live worker extends it with in_progress()); ``max_ack_pending`` must cover the in-flight
    slots of all workers together."""

    ack_wait_s: float = 60.0
    max_deliver: int = 5
    max_ack_pending: int = 1024
    request_max_age_s: float = 24 * 3600.0
    result_max_age_s: float = 24 * 3600.0
    duplicate_window_s: float = 120.0


async def _quiet(_exc: Exception) -> None:
    """nats-py logs every reconnect attempt by default; callers report failures themselves."""


async def connect(settings: Settings, *, reconnect: bool = True) -> NATS:
    """A connection, or a one-line ConfigError within ``settings.connect_timeout_s``."""
    timeout = settings.connect_timeout_s
    try:
        return await asyncio.wait_for(
            nats.connect(
                settings.nats_url,
                connect_timeout=timeout,
                allow_reconnect=reconnect,
                max_reconnect_attempts=-1 if reconnect else 0,
                error_cb=_quiet,
            ),
            timeout=timeout,
        )
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise unreachable("NATS", settings.nats_url, URL_SETTING, timeout, exc) from None


async def ensure_topology(js: JetStreamContext, topology: Topology) -> None:
    """Create both streams and the shared consumer when missing (safe to call from anyone)."""
    await _ensure_stream(
        js,
        StreamConfig(
            name=REQUEST_STREAM,
            subjects=[REQUEST_SUBJECTS],
            retention=RetentionPolicy.WORK_QUEUE,
            max_age=topology.request_max_age_s,
            duplicate_window=topology.duplicate_window_s,
        ),
    )
    await _ensure_stream(
        js,
        StreamConfig(
            name=RESULT_STREAM,
            subjects=[RESULT_SUBJECTS],
            retention=RetentionPolicy.LIMITS,
            max_age=topology.result_max_age_s,
            duplicate_window=topology.duplicate_window_s,
        ),
    )
    try:
        info = await js.consumer_info(REQUEST_STREAM, CONSUMER)
    except NotFoundError:
        await js.add_consumer(
            REQUEST_STREAM,
            ConsumerConfig(
                durable_name=CONSUMER,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=topology.ack_wait_s,
                max_deliver=topology.max_deliver,
                max_ack_pending=topology.max_ack_pending,
                # filter_subject (singular): nats-py drops filter_subjects against 2.9 servers.
                filter_subject=REQUEST_SUBJECTS,
            ),
        )
        return
    # An existing durable keeps its old config silently: say so when it differs.
    if info.config.ack_wait is not None and abs(info.config.ack_wait - topology.ack_wait_s) > 1e-3:
        log.warning(
            "consumer %s exists with ack_wait %.1f s (wanted %.1f s); keeping it",
            CONSUMER,
            info.config.ack_wait,
            topology.ack_wait_s,
        )


async def _ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
