"""Transport benchmark: httpx's own pool vs httpx over the aiohttp transport.

512 chat calls at 64 concurrent against the local ModelServer (a separate process) answering
in 50 ms. Ideal wall time = 512 / 64 * 0.05 = 0.4 s. Prints wall time and ratio vs ideal for
both; the providers use the aiohttp transport (target: within 1.3x of ideal).

    .venv/bin/python bench/transport.py [--calls 512] [--concurrency 64] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import httpx

from bench.common import Row
from mapelite.providers.http import make_http_client

PROVIDER_TRANSPORT = "httpx + aiohttp transport"
BODY = {"model": "bench", "messages": [{"role": "user", "content": "ping"}], "stream": False}


def transport_rows(
    reps: int, calls: int = 512, concurrency: int = 64, latency_s: float = 0.05
) -> list[Row]:
    """Table rows: both transports against the ideal wall time (the aiohttp one is what the
    providers use; target 1.3x of ideal)."""
    from bench.common import median, model_server_process

    ideal = calls / concurrency * latency_s
    with model_server_process(latency_s) as base_url:
        runs = [asyncio.run(measure(base_url, calls, concurrency)) for _ in range(reps)]
    note = f"{calls} calls, {concurrency} concurrent, {latency_s * 1000:.0f} ms"
    return [
        Row(
            case=f"transport: {name}",
            wall_s=median([run[name] for run in runs]),
            baseline="ideal",
            baseline_s=ideal,
            target=1.3 if name == PROVIDER_TRANSPORT else None,
            reps=reps,
            note=note,
        )
        for name in runs[0]
    ]


def start_server(latency_s: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mapelite.testing.model_server",
            "--port",
            "0",
            "--latency",
            str(latency_s),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().strip())
    return process, f"http://127.0.0.1:{port}/v1"


async def drive(client: httpx.AsyncClient, calls: int, concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with limit:
            response = await client.post("/chat/completions", json=BODY)
            response.raise_for_status()

    await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the pool
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    return time.perf_counter() - started


async def measure(base_url: str, calls: int, concurrency: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = {
        "httpx pool": httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60),
        PROVIDER_TRANSPORT: make_http_client(base_url, max_connections=concurrency),
    }
    walls: dict[str, float] = {}
    for name, client in clients.items():
        async with client:
            walls[name] = await drive(client, calls, concurrency)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    process, base_url = start_server(args.latency)
    try:
        walls = asyncio.run(measure(base_url, args.calls, args.concurrency))
    finally:
        process.terminate()
        process.wait(10)
    ideal = args.calls / args.concurrency * args.latency
    print(
        f"{args.calls} calls, {args.concurrency} concurrent, {args.latency * 1000:.0f} ms "
        f"server latency; ideal {ideal:.2f} s"
    )
    for name, wall in walls.items():
        print(f"{name:28s} wall {wall:6.2f} s   ratio vs ideal {wall / ideal:5.2f}x")


if __name__ == "__main__":
    main()
