"""Harness-run requests for runner tests: ``count`` units over ``models``, cycling harnesses."""

from __future__ import annotations

from mapelite.schemas import AgentContext, HarnessRunnerOptions
from runners.base import UnitRequest


def units(run_id: str, count: int, models: list[str]) -> list[UnitRequest]:
    return [
        UnitRequest(
            harness_id=i % 8,
            model=models[i % len(models)],
            options=HarnessRunnerOptions(
                context=AgentContext(run_id=run_id, unit_key=f"{run_id}/s0/a{i}/h{i % 8}", agent=i)
            ),
        )
        for i in range(count)
    ]
