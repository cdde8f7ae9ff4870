"""Answers a NATS worker paid for, recorded before its request is acknowledged, so that a
request redelivered after its worker died pays only for the items no worker answered.

Each scored item is put in the JetStream key-value bucket ``MAPELITE_ANSWERS`` under
``<request id>.<item token>`` the moment its answer is scored, before the item counts as done.
A redelivered request (``num_delivered > 1``) looks up its items there first and takes over
those it finds: they are fresh answers of this very request (no ledger entry holds them yet),
so they count as its own spend. Entries expire with the results stream (``result_max_age_s``).

What at-least-once still costs: the calls the dead worker had in flight when it died, and the
answers it had received but not yet recorded (being scored or on their way to the bucket, a few
milliseconds each) - at most twice its in-process limit per provider (2 x 8 for openrouter by
default); nothing that was recorded is paid again. A request redelivered while its first worker
still runs it (it missed its ack wait, e.g. a stalled machine) may be answered by both. A
bucket that cannot be reached costs only the saving: the run goes on and pays as without it.
"""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError

from mapelite.banks import harness_for
from mapelite.schemas import ItemOutcome
from runners._remote import stable_token
from runners.base import UnitRequest
from runners.nats_topology import Topology

log = logging.getLogger(__name__)

ANSWERS_BUCKET = "MAPELITE_ANSWERS"


def answer_key(request_id: str, bank: str, bank_version: str, item_id: str) -> str:
    """A key-value key (letters, digits, dots only) for one item of one request."""
    return f"{request_id}.{stable_token(bank, bank_version, item_id, length=24)}"


async def open_bucket(js: JetStreamContext, topology: Topology) -> KeyValue:
    """The answers bucket, created when missing (safe to call from any worker)."""
    try:
        return await js.key_value(ANSWERS_BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(
            bucket=ANSWERS_BUCKET, history=1, ttl=topology.result_max_age_s
        )


class AnswerStore:
    """Record and look up one worker's paid answers by request id."""

    def __init__(self, bucket: KeyValue) -> None:
        self.bucket = bucket

    async def recorded(self, request_id: str, unit: UnitRequest) -> list[ItemOutcome]:
        """The items of ``unit`` already answered under ``request_id`` (any worker)."""
        harness = harness_for(unit.harness_id, unit.options)
        items = harness.items[: unit.options.item_limit]
        keys = [answer_key(request_id, i.bank, i.bank_version, i.id) for i in items]
        found = await asyncio.gather(*(self._get(key) for key in keys))
        return [outcome for outcome in found if outcome is not None]

    async def record(self, request_id: str, outcome: ItemOutcome) -> None:
        """Keep one scored answer; a failure is logged, never raised (it only costs the
        saving on a redelivery)."""
        key = answer_key(request_id, outcome.bank, outcome.bank_version, outcome.item_id)
        try:
            await self.bucket.put(key, outcome.model_dump_json().encode("utf-8"))
        except Exception as exc:
            log.warning("could not record the answer to %s: %s", outcome.item_id, exc)

    async def _get(self, key: str) -> ItemOutcome | None:
        try:
            entry = await self.bucket.get(key)
        except KeyNotFoundError:
            return None
        except Exception as exc:  # the bucket is an optimisation: the item is simply paid again
            log.warning("could not look up a recorded answer: %s", exc)
            return None
        if entry.value is None:
            return None
        try:
            return ItemOutcome.model_validate_json(entry.value)
        except ValidationError:
            return None
