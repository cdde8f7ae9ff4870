"""The one interface every model provider implements (cf. Inspect AI's ``ModelAPI``).

A provider only knows how to make ONE call. Retries, timeouts and connection limits live once,
in the caller (`runners.local`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mapelite.schemas import ReasoningSetting


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class SimulationHint(BaseModel):
    """What the offline simulator needs to play a model; real providers ignore it."""

    model_config = ConfigDict(frozen=True)

    harness_id: int
    item_id: str
    role: Literal["single", "worker", "aggregator", "consumer"] = "single"
    upstream_answers: tuple[str, ...] = ()
    seed: int = 0
    reference: str | None = None
    near_miss: str | None = None
    """The item's right and near-miss answers (items of any bank, not only ``core``)."""


class GenerateRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str = Field(description="model name without the provider prefix")
    messages: tuple[ChatMessage, ...]
    max_tokens: int | None = None
    temperature: float = 0.0
    timeout_s: float = 300.0
    reasoning: ReasoningSetting | None = Field(
        default=None, description="None: send nothing (the provider's own default applies)"
    )
    routing: dict[str, Any] | None = Field(
        default=None, description="OpenRouter's provider routing object, sent as `provider`"
    )
    hint: SimulationHint | None = None


class GenerateResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = Field(default=None, description="as reported by the provider")
    simulated: bool = False
    thinking: str | None = Field(default=None, description="reasoning text, apart from text")
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    reasoning_tokens: int = Field(default=0, ge=0, description="part of tokens_out")
    served_by: str | None = Field(default=None, description="upstream provider that served it")


class ModelAPI(ABC):
    """A provider client. One instance per (provider, endpoint); shared by many calls."""

    provider: str

    @abstractmethod
    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        """Make one call. Raises a `ProviderError` subclass on any failure."""

    def connection_key(self) -> str:
        """What the concurrency limit is keyed on (one slot pool per key)."""
        return self.provider

    def endpoint(self) -> str:
        """Which server answers: the provider and its base URL (part of a response-cache key)."""
        base_url = getattr(self, "base_url", "")
        return f"{self.provider}@{base_url}" if base_url else self.provider

    async def check(self, timeout_s: float) -> None:  # noqa: B027 - optional hook
        """The cheapest request proving the endpoint is reachable and takes the key (a
        provider with no endpoint, such as the simulator, has nothing to check). Raises a
        `ProviderError`."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
