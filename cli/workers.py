"""The worker processes: ``python -m runners.temporal worker`` and ``python -m runners.nats
worker``. argparse, not Typer: a worker starts often (one per machine or container) and prints
only its ready line and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from cli.app import OneLineArgumentParser, positive_int
from mapelite.errors import EXIT_INTERRUPTED, EXIT_OK, MapEliteError


def temporal_main(argv: list[str] | None = None) -> int:
    from mapelite.config.settings import get_settings
    from runners.temporal import run_worker

    parser = OneLineArgumentParser(prog="python -m runners.temporal")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="execute harness runs from a task queue")
    worker.add_argument("--task-queue", default=None)
    worker.add_argument("--address", default=None, help="overrides MAPELITE_TEMPORAL_ADDRESS")
    worker.add_argument(
        "--concurrency", type=positive_int, default=64, help="harness runs in flight"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.address:
        settings = settings.model_copy(update={"temporal_address": args.address})
    queue = args.task_queue or settings.temporal_task_queue
    return _serve(run_worker(settings, queue, args.concurrency))


def nats_main(argv: list[str] | None = None) -> int:
    from mapelite.config.settings import get_settings
    from runners.nats_topology import Topology
    from runners.nats_worker import serve

    parser = OneLineArgumentParser(prog="python -m runners.nats")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="answer harness-run requests from JetStream")
    worker.add_argument("--url", default=None, help="overrides MAPELITE_NATS_URL")
    worker.add_argument(
        "--concurrency", type=positive_int, default=16, help="harness runs in flight"
    )
    worker.add_argument(
        "--ack-wait",
        type=float,
        default=Topology.ack_wait_s,
        help="seconds before a dead worker's request is redelivered (when creating the consumer)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.url:
        settings = settings.model_copy(update={"nats_url": args.url})
    return _serve(serve(settings, args.concurrency, Topology(ack_wait_s=args.ack_wait)))


def _serve(worker: Coroutine[Any, Any, None]) -> int:
    """Run a worker until it stops: its exit code, a user error as one line."""
    try:
        asyncio.run(worker)
    except MapEliteError as exc:
        print(f"error: {exc.message}", flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return EXIT_OK
