"""Roll-up of a generated ledger vs polars only scanning it; wall time, ratio, peak RSS.

    python -m bench.rollup                      # 1M entries (generated once, then reused)
    python -m bench.rollup --entries 100000 --ledger /tmp/l.jsonl

Each measurement runs in its own process so its peak RSS is its own. Measured:
- baseline: ``pl.scan_ndjson(path).select(pl.len()).collect()``. Polars answers a bare count
  by counting lines without parsing JSON, so this is the floor of touching the file;
- full_scan: ``pl.scan_ndjson(path, schema=<every field>).collect()``, polars parsing every
  field of every line (per-item outcomes included);
- rollup: scan + filters + model and pattern profiles (what the report adds to reading);
- report: `build_report` as the CLI runs it, i.e. ledger hash-chain verification + rollup.
Target: rollup ≤ 2× baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 2.0


def _measure(step: str, path: Path) -> dict[str, float]:
    # Imports happen before the clock starts: the work is measured, not interpreter start-up.
    import polars as pl

    from mapelite.catalog import load_catalog
    from mapelite.fitness import FitnessWeights
    from profiles.frame import EntryFilters, load_entries
    from profiles.pattern_rollup import pattern_profiles
    from profiles.rollup import build_report, model_profiles

    load_catalog()
    full_schema = _full_schema(path) if step == "full_scan" else None
    started = time.perf_counter()
    if step == "baseline":
        pl.scan_ndjson(path).select(pl.len()).collect()
    elif step == "full_scan":
        pl.scan_ndjson(path, schema=full_schema).collect()
    elif step == "rollup":
        entries = load_entries(path, EntryFilters(), None)
        model_profiles(entries, FitnessWeights())
        pattern_profiles(entries)
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
    for step in ("baseline", "full_scan", "rollup", "report"):
        runs = [_run_child(step, path) for _ in range(args.repeats)]
        results[step] = min(runs, key=lambda r: r["seconds"])
        best = results[step]
        print(f"{step:9s} {best['seconds']:7.2f} s   peak RSS {best['peak_rss_mb']:7.0f} MB")
    base = results["baseline"]["seconds"]
    ratio = results["rollup"]["seconds"] / base
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    full = results["full_scan"]["seconds"]
    report = results["report"]["seconds"]
    print(f"rollup / baseline = {ratio:.2f}x ({verdict} the {TARGET_RATIO:.0f}x target)")
    print(f"rollup / full_scan = {results['rollup']['seconds'] / full:.2f}x")
    print(f"report (verify + rollup) / baseline = {report / base:.2f}x")


if __name__ == "__main__":
    main()
