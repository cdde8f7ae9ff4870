"""The `HarnessRunner` protocol: how a flow asks for harness runs, whatever executes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from mapelite.schemas import HarnessResult, HarnessRunnerOptions


@runtime_checkable
class HarnessRunner(Protocol):
    name: str

    async def run(
        self, harness_id: int, model: str, options: HarnessRunnerOptions
    ) -> HarnessResult:
        """One model answers every item of one harness. Never raises for a model failure:
        a failed run is a score-0 result with ``metadata.error`` set."""
        ...

    async def run_batch(
        self, harness_id: int, models: Sequence[str], options: HarnessRunnerOptions
    ) -> list[HarnessResult]:
        """`run` for each model, concurrently within the provider limits, in input order."""
        ...

    async def aclose(self) -> None:
        """Release clients and connections."""
        ...
