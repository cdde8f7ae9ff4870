"""Roll-up of a generated ledger vs polars only scanning it; wall time, ratio, peak RSS.

    python -m bench.rollup                      # 1M entries (generated once, then reused)
    python -m bench.rollup --entries 100000 --ledger /tmp/l.jsonl

Each measurement runs in its own process so its peak RSS is its own. Measured:
- baseline: ``pl.scan_ndjson(path).select(pl.len()).collect()``. Polars answers a bare count
  by counting lines without parsing JSON, so this is the floor of touching the file;
- full_scan: ``pl.scan_ndjson(path, schema=<every field>).collect()``, polars parsing every
  field of every line (per-item outcomes included);
- rebuild (once): deleting the ledger's summary index and rebuilding it from the ledger, the
  one-time cost for a ledger written before summaries existed;
- rollup: model and pattern profiles read from the summary index, which `Ledger.append` (and
  `bench.gen_ledger`) keep in step with the ledger — every score with its n and 95% interval,
  coverage, fitness intervals, rank bands, trends with slope intervals, pattern rows (the
  intervals come from the per-entry item statistics the summary holds, not from the items);
- rollup_direct: the same roll-up reading the ledger itself (the fallback; same result);
- report: `build_report` as the CLI runs it, i.e. ledger hash-chain verification + rollup +
  the swarm verdicts of each pattern row's latest run (those runs' lines parsed from the ledger).
Target: rollup ≤ 2× baseline, as the median ratio of alternating baseline/rollup pairs; every
other figure is the best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 2.0
PAIRS = 7


def _measure(step: str, path: Path) -> dict[str, float]:
    # Imports happen before the clock starts: the work is measured, not interpreter start-up.
    import polars as pl

    from mapelite.catalog.models import load_catalog
    from mapelite.ledger.summary import summary_path
    from mapelite.stats.fitness import FitnessWeights
    from profiles.frame import EntryFilters, ensure_summary, load_entries
    from profiles.pattern_rollup import pattern_profiles
    from profiles.rollup import build_report, model_profiles

    load_catalog()
    full_schema = _full_schema(path) if step == "full_scan" else None
    started = time.perf_counter()
    if step == "baseline":
        pl.scan_ndjson(path).select(pl.len()).collect()
    elif step == "full_scan":
        pl.scan_ndjson(path, schema=full_schema).collect()
    elif step in ("rollup", "rollup_direct"):
        entries = load_entries(path, EntryFilters(), None, use_summary=step == "rollup")
        model_profiles(entries, FitnessWeights())
        pattern_profiles(entries)
    elif step == "rebuild":
        summary_path(path).unlink(missing_ok=True)
        started = time.perf_counter()
        if ensure_summary(path) is None:
            raise SystemExit(f"could not write the summary of {path}")
    elif step == "report":
        build_report(path)
    else:
        raise SystemExit(f"unknown step {step}")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return {"seconds": seconds, "peak_rss_mb": peak_mb}


def _full_schema(path: Path) -> Any:
    """Every field of a ledger line, typed from a sample (early rows hold untypable nulls)."""
    import io
    import itertools

    import polars as pl

    with path.open("rb") as handle:
        sample = b"".join(itertools.islice(handle, 20_000))
    return pl.read_ndjson(io.BytesIO(sample), infer_schema_length=None).schema


def _run_child(step: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.rollup", "--child", step, "--ledger", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="roll-up benchmark")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--ledger", type=Path, default=None, help="reuse/generate this file")
    parser.add_argument("--repeats", type=int, default=2, help="best of N per step")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child, args.ledger)))
        return
    path = args.ledger or Path(f"/tmp/mapelite-bench-ledger-{args.entries}.jsonl")
    if not path.exists():
        from bench.gen_ledger import generate_ledger

        started = time.perf_counter()
        generate_ledger(path, args.entries)
        print(f"generated {args.entries} entries in {time.perf_counter() - started:.1f} s")
    print(f"ledger {path}: {path.stat().st_size / 1e6:.0f} MB")
    results: dict[str, dict[str, float]] = {}
    for step in ("full_scan", "rebuild", "rollup_direct", "report"):
        repeats = 1 if step == "rebuild" else args.repeats  # leaves the summary in step
        runs = [_run_child(step, path) for _ in range(repeats)]
        results[step] = min(runs, key=lambda r: r["seconds"])
    # The ratio's two steps alternate, so a burst of load on this shared machine hits both.
    pairs = [(_run_child("baseline", path), _run_child("rollup", path)) for _ in range(PAIRS)]
    results["baseline"] = min((b for b, _ in pairs), key=lambda r: r["seconds"])
    results["rollup"] = min((r for _, r in pairs), key=lambda r: r["seconds"])
    for step in ("baseline", "full_scan", "rebuild", "rollup", "rollup_direct", "report"):
        best = results[step]
        print(f"{step:13s} {best['seconds']:7.2f} s   peak RSS {best['peak_rss_mb']:7.0f} MB")
    base = results["baseline"]["seconds"]
    ratio = statistics.median(r["seconds"] / b["seconds"] for b, r in pairs)
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    full = results["full_scan"]["seconds"]
    report = results["report"]["seconds"]
    print(
        f"rollup / baseline = {ratio:.2f}x, median of {PAIRS} alternating pairs "
        f"({verdict} the {TARGET_RATIO:.0f}x target; best vs best "
        f"{results['rollup']['seconds'] / base:.2f}x)"
    )
    print(f"rollup / full_scan = {results['rollup']['seconds'] / full:.2f}x")
    direct = results["rollup_direct"]["seconds"]
    print(f"rollup_direct (no summary) / baseline = {direct / base:.2f}x")
    print(f"one-time summary rebuild = {results['rebuild']['seconds']:.2f} s")
    print(f"report (verify + rollup) / baseline = {report / base:.2f}x")


if __name__ == "__main__":
    main()
