"""How the Temporal runner cuts a batch into workflows and chunk activities.

A chunk is capped by unit count (fewer history events per unit: the dev server's history writes
were the bottleneck with one activity per unit) and by payload bytes (Temporal refuses payloads
over 2 MB; a chunk's input and result, and a workflow's result, stay under half of that).
"""

from __future__ import annotations

from collections.abc import Sequence

from runners.base import UnitRequest

# Units per activity; see the module docstring and README for the measurements behind it.
DEFAULT_CHUNK_SIZE = 32
# Payload budget of one activity and of one workflow (input or result): half the 2 MB limit.
DEFAULT_PAYLOAD_BYTES = 1_000_000
# Upper estimate of a result's JSON size: metadata plus, per item, the answer (4 characters a
# token, at most max_tokens) and the item's own fields.
RESULT_BASE_BYTES = 2_000
ITEM_BASE_BYTES = 400
BYTES_PER_TOKEN = 4


def estimated_result_bytes(request: UnitRequest) -> int:
    """An upper estimate of the unit's result payload, from its harness's items and tokens."""
    from mapelite.banks import harness_for

    harness = harness_for(request.harness_id, request.options)
    items = len(harness.items[: request.options.item_limit])
    max_tokens = request.options.max_tokens or harness.max_tokens
    return RESULT_BASE_BYTES + items * (ITEM_BASE_BYTES + max_tokens * BYTES_PER_TOKEN)


def payload_bytes(request: UnitRequest) -> int:
    """What a unit adds to a chunk's input plus its result (upstream answers make it vary)."""
    return len(request.model_dump_json()) + estimated_result_bytes(request)


def split_by_budget(
    sizes: Sequence[int], *, max_count: int, max_bytes: int
) -> list[tuple[int, int]]:
    """Consecutive (start, end) ranges of at most ``max_count`` entries and ``max_bytes``; an
    entry bigger than the budget alone gets a range of its own."""
    ranges: list[tuple[int, int]] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= max_count or total + size > max_bytes):
            ranges.append((start, index))
            start, total = index, 0
        total += size
    if start < len(sizes):
        ranges.append((start, len(sizes)))
    return ranges


def plan_workflows(
    requests: Sequence[UnitRequest], *, chunk_size: int, payload_bytes_limit: int
) -> list[list[list[UnitRequest]]]:
    """Workflows (lists of chunks) in input order. Deterministic for the same requests, so a
    re-submission maps to the same workflow ids."""
    sizes = [payload_bytes(request) for request in requests]
    chunks = split_by_budget(sizes, max_count=chunk_size, max_bytes=payload_bytes_limit)
    chunk_sizes = [sum(sizes[start:end]) for start, end in chunks]
    # 1000 chunks stay far below the 2000-pending-activities limit of a workflow.
    groups = split_by_budget(chunk_sizes, max_count=1000, max_bytes=payload_bytes_limit)
    return [
        [list(requests[start:end]) for start, end in chunks[first:last]] for first, last in groups
    ]
