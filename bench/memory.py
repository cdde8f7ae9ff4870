"""Memory case: peak RSS of the 512-unit Prefect batch flow process (case C) and of the roll-up.

Both are measured where the work runs — the flow's child process and the roll-up's child
process — by `ru_maxrss`; this module only turns them into rows.
"""

from __future__ import annotations

from bench.common import Row

LABELS = {
    "C": "peak RSS, Prefect batch 512 units (C, server)",
    "D": "peak RSS, Prefect batch 512 units (D, embedded)",
    "rollup": "peak RSS, roll-up",
    "rollup_baseline": "peak RSS, polars scan+count",
}


def memory_rows(memory: dict[str, float]) -> list[Row]:
    """Info rows (no target) for the peak RSS figures that were measured, in a fixed order."""
    rows = []
    for key, label in LABELS.items():
        if key in memory:
            rows.append(Row(label, None, shown=f"{memory[key]:.0f} MB", note="whole process"))
    return rows
