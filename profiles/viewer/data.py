"""What the viewer file embeds: the selected ledger entries turned into plain, compact data.

Everything a person reads in the viewer is computed here, in Python, with the project's own
statistics (`mapelite.stats`); the page's script only lays it out. Entries and item answers are
stored column by column (one list per field) so that a field's name is written once, not once
per item.

- **rows** of the grid: one per *setup* (``model`` or ``model@setting``) over its solo entries
  (role ``single``, or a first-stage ``worker``: the answers it gave alone, as in profiles and
  compare), then one per swarm run (its last stage).
- **cells**: a row × harness: mean of the scored items, ``n``, the 95% interval
  (`mapelite.stats.core.outcome_interval`: Wilson for 0/1, clustered by item family), answers,
  item errors and failed entries. Errors are not scores.
- **frontier**: per row, cost per answered item against the mean over the harnesses it covers
  (equal weights, interval by the delta method); the Pareto frontier among the rows with all 8
  harnesses (among all rows when none has them).
- **pairs**: for every two rows, paired on the items both answered (`mapelite.stats.compare`'s
  pairing: mean per item, repeats one cluster): wins, losses, ties, the mean difference with its
  interval and p-value, per harness with Holm's correction.
- **swarm items** (`profiles.viewer.swarms`): per swarm item, the first and last stage's mean
  score and whether the swarm fixed or broke what its first stage answered.
- **search**: entries carrying ``metadata.search`` (from ``map-elite search``), with the
  scalar fields of that record, whatever they are.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mapelite.schemas import HARNESS_NAMES, HarnessResult, ItemOutcome
from mapelite.stats.compare import ItemKey, item_scores, last_stage
from mapelite.stats.core import (
    Interval,
    holm,
    outcome_interval,
    paired_difference,
    weighted_interval,
)
from profiles.viewer.prompts import item_text
from profiles.viewer.swarms import swarm_item_outcomes

VIEWER_SCHEMA = 1
MAX_PAIRED_ROWS = 40
"""Rows beyond this many get no precomputed comparisons (pairs grow with the square)."""
DIGITS = 4

PromptKey = tuple[int, str, str, str]  # harness, bank, item id, bank version


def _r(value: float | None, digits: int = DIGITS) -> float | None:
    return None if value is None else round(value, digits)


def is_solo(entry: HarnessResult) -> bool:
    meta = entry.metadata
    return meta.role in ("single", "worker") and (meta.stage or 0) == 0


def run_kind(run: Sequence[HarnessResult]) -> str:
    """search, swarm, eval (one model, all 8 harnesses) or batch: what produced the run."""
    if any(_search_fields(e) is not None for e in run):
        return "search"
    if any(e.metadata.pattern is not None for e in run):
        return "swarm"
    if len({e.setup for e in run}) == 1 and len({e.harness_id for e in run}) == len(HARNESS_NAMES):
        return "eval"
    return "batch"


class _Columns:
    """Lists of equal length, one per field."""

    def __init__(self, *names: str) -> None:
        self.data: dict[str, list[Any]] = {name: [] for name in names}

    def add(self, **values: Any) -> int:
        for name, column in self.data.items():
            column.append(values.get(name))
        return len(next(iter(self.data.values()))) - 1


def _interval_fields(interval: Interval) -> dict[str, Any]:
    if interval.n == 0:
        return {"value": None, "n": 0, "ci_low": None, "ci_high": None}
    return {
        "value": _r(interval.mean),
        "n": interval.n,
        "ci_low": _r(interval.ci_low),
        "ci_high": _r(interval.ci_high),
    }


def _search_fields(entry: HarnessResult) -> dict[str, Any] | None:
    record = (entry.metadata.model_extra or {}).get("search")
    if not isinstance(record, dict):
        return None
    return {
        str(name): value
        for name, value in record.items()
        if value is None or isinstance(value, str | int | float | bool)
    }


class ViewerDataBuilder:
    """Builds the embedded data from the selected entries, in ledger order."""

    def __init__(self, entries: Sequence[HarnessResult]) -> None:
        self.entries = list(entries)
        self.runs: dict[str, list[int]] = defaultdict(list)
        for index, entry in enumerate(self.entries):
            self.runs[entry.metadata.run_id].append(index)
        self.prompt_index: dict[PromptKey, int] = {}
        self.prompts = _Columns("harness", "bank", "id", "version", "family", "system", "prompt",
                                "reference", "note")  # fmt: skip
        self.rows: list[dict[str, Any]] = []
        self.row_entries: list[list[int]] = []  # entries whose items are the row's answers
        self.row_cost_entries: list[list[int]] = []  # entries whose cost the row spent

    # -- rows ----------------------------------------------------------------------------------

    def _make_rows(self) -> tuple[list[int], list[int]]:
        solo_row = [-1] * len(self.entries)
        swarm_row = [-1] * len(self.entries)
        by_setup: dict[str, list[int]] = defaultdict(list)
        for index, entry in enumerate(self.entries):
            if is_solo(entry):
                by_setup[entry.setup].append(index)
        for setup in sorted(by_setup):
            indices = by_setup[setup]
            first = self.entries[indices[0]]
            row = len(self.rows)
            self.rows.append({"name": setup, "kind": "setup", "model": first.model, "run": None,
                              "pattern": None, "simulated": any(self.entries[i].simulated
                                                                for i in indices)})  # fmt: skip
            self.row_entries.append(indices)
            self.row_cost_entries.append(indices)
            for i in indices:
                solo_row[i] = row
        for run_id, indices in self.runs.items():
            run = [self.entries[i] for i in indices]
            if not any(e.metadata.pattern is not None for e in run):
                continue
            last = {id(e) for e in last_stage(run)}
            row = len(self.rows)
            pattern = run[0].metadata.pattern
            self.rows.append({"name": f"swarm {pattern} · {run_id}", "kind": "swarm",
                              "model": None, "run": run_id, "pattern": pattern,
                              "simulated": any(e.simulated for e in run)})  # fmt: skip
            chosen = [i for i in indices if id(self.entries[i]) in last]
            self.row_entries.append(chosen)
            self.row_cost_entries.append(indices)
            for i in chosen:
                swarm_row[i] = row
        return solo_row, swarm_row

    # -- cells and frontier --------------------------------------------------------------------

    def _cells(self) -> tuple[list[dict[str, Any]], dict[int, dict[int, Interval]]]:
        cells: list[dict[str, Any]] = []
        intervals: dict[int, dict[int, Interval]] = defaultdict(dict)
        for row in range(len(self.rows)):
            by_harness: dict[int, list[int]] = defaultdict(list)
            for i in self.row_entries[row]:
                by_harness[self.entries[i].harness_id].append(i)
            for harness_id, indices in sorted(by_harness.items()):
                outcomes = [o for i in indices for o in self.entries[i].metadata.items]
                interval = outcome_interval(outcomes)
                if interval.n:
                    intervals[row][harness_id] = interval
                cells.append({
                    "row": row,
                    "harness": harness_id,
                    **_interval_fields(interval),
                    "answers": len(outcomes),
                    "errors": sum(1 for o in outcomes if not o.scored),
                    "failed_entries": sum(1 for i in indices if self.entries[i].failed),
                    "truncated": sum(1 for o in outcomes if o.truncated),
                    "cost_usd": _r(sum(self.entries[i].metadata.cost_usd for i in indices), 6),
                })  # fmt: skip
        return cells, intervals

    def _frontier(self, intervals: dict[int, dict[int, Interval]]) -> list[dict[str, Any]]:
        points: list[dict[str, Any]] = []
        for row in range(len(self.rows)):
            parts = intervals.get(row, {})
            if not parts:
                continue
            # A swarm answers an item once however many agents its last stage has.
            answered = (
                len(item_scores(self.entries[i] for i in self.row_entries[row]))
                if self.rows[row]["kind"] == "swarm"
                else sum(p.n for p in parts.values())
            )
            cost = sum(self.entries[i].metadata.cost_usd for i in self.row_cost_entries[row])
            value, low, high = weighted_interval([(1.0, p) for p in parts.values()])
            points.append({
                "row": row,
                "cost_per_item_usd": _r(cost / answered, 8) if answered else None,
                "value": _r(value), "ci_low": _r(low), "ci_high": _r(high),
                "harnesses": sorted(parts), "complete": len(parts) == len(HARNESS_NAMES),
            })  # fmt: skip
        pool = [p for p in points if p["complete"]] or points
        for point in points:
            point["on_frontier"] = point in pool and not any(
                other is not point
                and other["cost_per_item_usd"] is not None
                and point["cost_per_item_usd"] is not None
                and other["cost_per_item_usd"] <= point["cost_per_item_usd"]
                and other["value"] >= point["value"]
                and (other["cost_per_item_usd"] < point["cost_per_item_usd"]
                     or other["value"] > point["value"])
                for other in pool
            )  # fmt: skip
        return points

    # -- pairs ---------------------------------------------------------------------------------

    def _pairs(self) -> list[dict[str, Any]]:
        rows = range(min(len(self.rows), MAX_PAIRED_ROWS))
        scores = [item_scores(self.entries[i] for i in self.row_entries[row]) for row in rows]
        pairs: list[dict[str, Any]] = []
        for a, b in itertools.combinations(rows, 2):
            shared = sorted(set(scores[a]) & set(scores[b]))
            if shared:
                pairs.append(_pair(a, b, scores[a], scores[b], shared))
        return pairs

    # -- items ---------------------------------------------------------------------------------

    def _prompt(self, harness_id: int, outcome: ItemOutcome) -> int:
        key = (harness_id, outcome.bank, outcome.item_id, outcome.bank_version)
        index = self.prompt_index.get(key)
        if index is None:
            text = item_text(*key)
            index = self.prompts.add(harness=harness_id, bank=outcome.bank, id=outcome.item_id,
                                     version=outcome.bank_version, family=outcome.family,
                                     **text.model_dump())  # fmt: skip
            self.prompt_index[key] = index
        return index

    def build(self) -> dict[str, Any]:
        solo_row, swarm_row = self._make_rows()
        run_ids = list(self.runs)
        run_of = {run_id: n for n, run_id in enumerate(run_ids)}
        entries = _Columns("run", "setup", "model", "harness", "pattern", "stage", "agent",
                           "role", "error", "cost_usd", "latency_s", "timestamp", "solo_row",
                           "swarm_row", "simulated", "search")  # fmt: skip
        items = _Columns("entry", "prompt", "score", "error", "answer", "thinking", "extracted",
                         "finish_reason", "native_finish_reason", "tokens_in", "tokens_out",
                         "reasoning_tokens", "cost_usd", "cost_source", "latency_s", "served_by",
                         "attempts", "cached")  # fmt: skip
        search: list[dict[str, Any]] = []
        for index, entry in enumerate(self.entries):
            meta = entry.metadata
            fields = _search_fields(entry)
            entries.add(run=run_of[meta.run_id], setup=entry.setup, model=entry.model,
                        harness=entry.harness_id, pattern=meta.pattern, stage=meta.stage or 0,
                        agent=meta.agent or 0, role=meta.role, error=meta.error,
                        cost_usd=_r(meta.cost_usd, 8), latency_s=_r(meta.latency_s, 3),
                        timestamp=entry.timestamp, solo_row=solo_row[index],
                        swarm_row=swarm_row[index], simulated=entry.simulated,
                        search=fields is not None)  # fmt: skip
            if fields is not None:
                search.append({"entry": index, **fields})
            for outcome in meta.items:
                items.add(entry=index, prompt=self._prompt(entry.harness_id, outcome),
                          score=None if not outcome.scored else _r(outcome.score),
                          error=outcome.error, answer=outcome.answer, thinking=outcome.thinking,
                          extracted=outcome.extracted, finish_reason=outcome.finish_reason,
                          native_finish_reason=outcome.native_finish_reason,
                          tokens_in=outcome.tokens_in, tokens_out=outcome.tokens_out,
                          reasoning_tokens=outcome.reasoning_tokens,
                          cost_usd=_r(outcome.cost_usd, 8), cost_source=outcome.cost_source,
                          latency_s=_r(outcome.latency_s, 3), served_by=outcome.served_by,
                          attempts=outcome.attempts, cached=outcome.cached)  # fmt: skip
        cells, intervals = self._cells()
        swarm_items = _Columns(
            "row", "harness", "prompt", "first", "last", "outcome", "errors", "truncated"
        )
        for row, info in enumerate(self.rows):
            if info["kind"] != "swarm":
                continue
            run = [self.entries[i] for i in self.runs[info["run"]]]
            for found in swarm_item_outcomes(run):
                prompt = self.prompt_index.get((found.harness_id, found.bank, found.item_id,
                                                found.bank_version), -1)  # fmt: skip
                swarm_items.add(row=row, harness=found.harness_id, prompt=prompt,
                                first=_r(found.first_mean), last=_r(found.last_mean),
                                outcome=found.outcome, errors=found.errors,
                                truncated=found.truncated)  # fmt: skip
        return {
            "schema": VIEWER_SCHEMA,
            "harnesses": [HARNESS_NAMES[h] for h in sorted(HARNESS_NAMES)],
            "runs": [self._run(run_id) for run_id in run_ids],
            "rows": self.rows,
            "cells": cells,
            "frontier": self._frontier(intervals),
            "pairs": self._pairs(),
            "paired_rows": min(len(self.rows), MAX_PAIRED_ROWS),
            "entries": entries.data,
            "items": items.data,
            "prompts": self.prompts.data,
            "swarm_items": swarm_items.data,
            "search": search,
            "simulated": any(e.simulated for e in self.entries),
        }

    def _run(self, run_id: str) -> dict[str, Any]:
        run = [self.entries[i] for i in self.runs[run_id]]
        outcomes = [o for e in run for o in e.metadata.items]
        extra = run[0].metadata.model_extra or {}
        return {
            "id": run_id,
            "kind": run_kind(run),
            "pattern": run[0].metadata.pattern,
            "tier": extra.get("tier") if isinstance(extra.get("tier"), str) else None,
            "runner": run[0].metadata.runner,
            "start": min(e.timestamp for e in run),
            "end": max(e.timestamp for e in run),
            "setups": sorted({e.setup for e in run}),
            "harnesses": sorted({e.harness_id for e in run}),
            "entries": len(run),
            "answers": len(outcomes),
            "scored": sum(1 for o in outcomes if o.scored),
            "errors": sum(1 for o in outcomes if not o.scored),
            "failed_entries": sum(1 for e in run if e.failed),
            "cost_usd": _r(sum(e.metadata.cost_usd for e in run), 6),
            "simulated": any(e.simulated for e in run),
        }


def _pair(
    a: int,
    b: int,
    scores_a: dict[ItemKey, Any],
    scores_b: dict[ItemKey, Any],
    shared: list[ItemKey],
) -> dict[str, Any]:
    """Row ``a`` against row ``b`` on the items both answered (a - b)."""

    def compared(keys: list[ItemKey]) -> dict[str, Any]:
        xs = [scores_a[k].score for k in keys]
        ys = [scores_b[k].score for k in keys]
        result = paired_difference(xs, ys, [scores_a[k].cluster for k in keys])
        return {
            "n": result.n,
            "difference": _r(result.difference),
            "ci_low": _r(result.ci_low),
            "ci_high": _r(result.ci_high),
            "p_value": _r(result.p_value),
            "method": result.method,
            "wins": sum(1 for x, y in zip(xs, ys, strict=True) if x > y),
            "losses": sum(1 for x, y in zip(xs, ys, strict=True) if x < y),
            "ties": sum(1 for x, y in zip(xs, ys, strict=True) if x == y),
        }

    per_harness: dict[int, list[ItemKey]] = defaultdict(list)
    for key in shared:
        per_harness[key[0]].append(key)
    rows = [{"harness": h, **compared(keys)} for h, keys in sorted(per_harness.items())]
    for row, adjusted in zip(rows, holm([r["p_value"] for r in rows]), strict=True):
        row["p_holm"] = _r(adjusted)
    return {"a": a, "b": b, **compared(shared), "harnesses": rows}
