"""The `HarnessRunner` protocol: how a flow asks for harness runs, whatever executes them."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict

from mapelite.schemas import HarnessResult, HarnessRunnerOptions


class UnitRequest(BaseModel):
    """One harness run as data: what `HarnessRunner.run` takes, shippable as JSON."""

    model_config = ConfigDict(extra="forbid")

    harness_id: int
    model: str
    options: HarnessRunnerOptions


class ClosingRunner:
    """A runner is an async context manager: ``async with runner:`` closes its clients and
    connections however the block ends."""

    async def aclose(self) -> None:
        """Release clients and connections."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


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

    async def run_many(self, requests: Sequence[UnitRequest]) -> list[HarnessResult]:
        """Any mix of harness runs (each with its own options and context), in input order.
        Remote runners ship them together, which costs far less than one `run` each."""
        ...

    async def aclose(self) -> None:
        """Release clients and connections."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
