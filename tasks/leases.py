"""Leases on a provider's Prefect global limit that come back soon after their holder died.

Prefect's own ``concurrency()`` leases for 300 s (renewed at 75 %), so a process killed with
SIGKILL kept its slots for up to five minutes: a resume right after the kill ran one call at a
time. Here a lease is:

- short: ``LEASE_S`` = 60 s, the minimum the Prefect server accepts, renewed every
  ``RENEW_EVERY_S`` while the process lives. A dead holder's lease expires at most 60 s after
  its last renewal, and the server's repossessor (every 15 s by default,
  ``PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS``) gives the slots back: within 75 s from
  any machine;
- registered on this machine (a small file per lease: API URL, pid and the process's start
  time). Before taking a lease, a process releases every registered lease of the same Prefect
  API whose holder process is gone (checked by pid and start time, so a reused pid is not
  mistaken for the holder): a resume on the same machine gets the slots back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

log = logging.getLogger("mapelite.tasks.leases")

LEASE_S = 60.0
RENEW_EVERY_S = 20.0
LOCKED_RETRY_MAX_S = 2.0


class LimitMissingError(RuntimeError):
    """The global limit does not exist on the server (leases are strict)."""


def registry_dir() -> Path:
    """Where this machine's lease records live (one directory per user)."""
    return Path(tempfile.gettempdir()) / f"mapelite-leases-{os.getuid()}"


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), or
    None when there is no such process (or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def holder_alive(record: dict[str, Any]) -> bool:
    pid = int(record.get("pid", 0))
    if pid <= 0:
        return False
    if not Path("/proc").is_dir():  # no start times to compare: the pid alone decides
        return _pid_exists(pid)
    started = process_start_time(pid)
    return started is not None and started == record.get("start_time")


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _record_path(lease_id: UUID) -> Path:
    return registry_dir() / f"{lease_id}.json"


def register(lease_id: UUID, api_url: str, name: str, slots: int) -> Path | None:
    record = {
        "lease_id": str(lease_id),
        "api_url": api_url,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "start_time": process_start_time(os.getpid()),
        "limit": name,
        "slots": slots,
    }
    path = _record_path(lease_id)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_text(json.dumps(record))
    except OSError:
        return None  # without a record the lease still expires on the server
    return path


def dead_holders(api_url: str) -> list[tuple[Path, UUID]]:
    """Registered leases of ``api_url`` on this host whose holder process is gone."""
    found = []
    host = socket.gethostname()
    with contextlib.suppress(OSError):
        for path in registry_dir().glob("*.json"):
            try:
                record = json.loads(path.read_text())
                lease_id = UUID(str(record["lease_id"]))
            except (OSError, ValueError, KeyError):
                continue
            ours = record.get("api_url") == api_url and record.get("host") == host
            if ours and not holder_alive(record):
                found.append((path, lease_id))
    return found


async def release_dead_holders(client: Any, api_url: str) -> int:
    """Release the leases that dead processes of this machine held; returns how many."""
    released = 0
    for path, lease_id in dead_holders(api_url):
        try:
            await client.release_concurrency_slots_with_lease(lease_id)
            released += 1
            log.info("released lease %s of a process that is gone", lease_id)
        except Exception as exc:  # already expired and repossessed: nothing to give back
            log.debug("lease %s of a dead process: %s", lease_id, exc)
        with contextlib.suppress(OSError):
            path.unlink()
    return released


async def _acquire(client: Any, name: str, slots: int) -> UUID:
    """Wait for ``slots`` of the limit ``name``; the lease id."""
    import httpx

    while True:
        try:
            response = await client.increment_concurrency_slots_with_lease(
                names=[name], slots=slots, mode="concurrency", lease_duration=LEASE_S
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 423:  # 423 Locked: no free slots yet
                raise
            retry_after = float(exc.response.headers.get("Retry-After", 1.0))
            await asyncio.sleep(min(LOCKED_RETRY_MAX_S, max(0.1, retry_after)))
            continue
        body = response.json()
        if not body.get("limits"):
            raise LimitMissingError(f"the Prefect global concurrency limit {name!r} is missing")
        return UUID(str(body["lease_id"]))


async def _renew(client: Any, lease_id: UUID) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY_S)
        try:
            await client.renew_concurrency_lease(lease_id=lease_id, lease_duration=LEASE_S)
        except Exception as exc:  # the next renewal may succeed; the lease outlives two misses
            log.warning("could not renew the lease %s of a global limit: %s", lease_id, exc)


@contextlib.asynccontextmanager
async def short_lease(name: str, slots: int) -> AsyncIterator[UUID]:
    """Hold ``slots`` of the global limit ``name`` until the block ends: a short lease renewed
    while this process lives, registered so that this machine can release it if we die."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        api_url = str(client.api_url)
        await release_dead_holders(client, api_url)
        lease_id = await _acquire(client, name, slots)
        record = register(lease_id, api_url, name, slots)
        renewal = asyncio.create_task(_renew(client, lease_id))
        try:
            yield lease_id
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            try:
                await asyncio.shield(client.release_concurrency_slots_with_lease(lease_id))
            finally:
                if record is not None:
                    with contextlib.suppress(OSError):
                        record.unlink()
