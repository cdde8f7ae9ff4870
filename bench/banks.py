"""Items generated per second by each harness's ``gen`` bank (STORE at its default 4k tokens).

Each case builds fresh items (new indices, no cache) and prints the rate; the rows are
information, not targets: generation runs once per sample and is cached after that.
"""

from __future__ import annotations

import time

from bench.common import Row
from mapelite.banks import GENERATORS
from mapelite.harnesses import HARNESSES


def bank_rows(quick: bool) -> list[Row]:
    count = 200 if quick else 1000
    rows = []
    for harness_id, generator in sorted(GENERATORS.items()):
        started = time.perf_counter()
        for index in range(count):
            generator.item(index)
        wall = time.perf_counter() - started
        rate = count / wall if wall > 0 else float("inf")
        name = HARNESSES[harness_id].name
        print(f"  {name}: {rate:,.0f} items/s", flush=True)
        rows.append(
            Row(
                case=f"gen bank {harness_id} {name}",
                wall_s=wall,
                note=f"{count} items, {rate:,.0f} items/s",
                shown=f"{rate:,.0f}/s",
            )
        )
    return rows
