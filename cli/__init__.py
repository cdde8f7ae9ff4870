"""The ``map-elite`` command line: every command, exit codes, output, the cost gate.

This package sits on top of the layers (DESIGN.md, Layout): it imports anything and nothing
imports it, except the ``python -m flows.swarm|batch|eval`` and ``python -m runners.temporal|nats``
entry-point blocks. Modules:

- `cli.app`: process handling: exit codes, SIGINT/SIGTERM, the resume line, the watchdog;
- `cli.output`: the console factory, the SIMULATED notice, estimates, progress;
- `cli.summaries`: the summary tables of swarm, batch and eval;
- `cli.options`: options several commands share (the item sample among them), and the one cost
  gate;
- `cli.catalog` (verify, cost-estimate, models, harnesses, items), `cli.run` (run), `cli.flows`
  (swarm, batch, eval), `cli.profiles` (profile, report), `cli.compare` (compare), `cli.config`
  (config show, init), `cli.cache` (cache stats, clear), `cli.workers` (the worker processes);
- `cli.main`: composes the app; the console script is ``cli.main:main``.
"""
