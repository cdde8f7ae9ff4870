"""Flow runs of a run id whose process was killed are marked Crashed when the run id resumes.

Prefect 3.9 does not do this by itself for flows started from a shell: a flow run emits
heartbeat *events* (every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, 180 s), but nothing acts on
a missing heartbeat unless the user creates an automation for it, so a flow run killed with
SIGKILL stays RUNNING forever. So every flow run tags itself with its run id and its process
(``mapelite-run:<run id>``, ``mapelite-pid:<host>:<pid>:<start time>``), and at its start marks
earlier flow runs of the same run id that are still RUNNING or PENDING, whose process on this
machine is gone (pid and start time, so a reused pid is not taken for the holder), as Crashed.
A flow run of another machine is left as it is: its liveness cannot be checked from here.
"""

from __future__ import annotations

import os
import socket
from uuid import UUID

from tasks.leases import holder_alive, process_start_time

RUN_TAG = "mapelite-run:"
PROCESS_TAG = "mapelite-pid:"


def run_tag(run_id: str) -> str:
    return f"{RUN_TAG}{run_id}"


def process_tag(pid: int | None = None) -> str:
    pid = pid if pid is not None else os.getpid()
    return f"{PROCESS_TAG}{socket.gethostname()}:{pid}:{process_start_time(pid) or ''}"


def holder_is_gone(tags: list[str]) -> bool:
    """True when the tags name a process of this machine that no longer runs."""
    for tag in tags:
        if not tag.startswith(PROCESS_TAG):
            continue
        host, pid_text, started = tag[len(PROCESS_TAG) :].rsplit(":", 2)
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        return not holder_alive({"pid": int(pid_text), "start_time": started or None})
    return False


async def claim_run_id(run_id: str) -> list[UUID]:
    """Tag the current flow run with ``run_id`` and this process, then mark the run id's
    earlier flow runs whose process is gone as Crashed. Returns the flow runs marked (none
    outside a flow run)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.context import FlowRunContext
    from prefect.states import Crashed

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return []
    current = context.flow_run
    marked: list[UUID] = []
    async with get_client() as client:
        tags = [t for t in current.tags if not t.startswith((RUN_TAG, PROCESS_TAG))]
        await client.update_flow_run(current.id, tags=[*tags, run_tag(run_id), process_tag()])
        stale = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[run_tag(run_id)]),
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])
                ),
            )
        )
        for run in stale:
            if run.id == current.id or not holder_is_gone(list(run.tags)):
                continue
            message = (
                f"its process is gone (killed); run id {run_id} was resumed by flow run "
                f"{current.name}"
            )
            await client.set_flow_run_state(run.id, Crashed(message=message), force=True)
            marked.append(run.id)
    return marked
