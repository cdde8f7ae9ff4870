"""Model providers behind one interface, registered by the model id's provider prefix.

``create_model_api("openrouter/openai/gpt-5-nano", settings)`` returns a client for the
provider's endpoint; callers cache it per endpoint (one client serves every model there).
"""

from __future__ import annotations

from collections.abc import Callable

from mapelite.errors import InvalidInputError
from mapelite.providers.base import (
    ChatMessage,
    GenerateRequest,
    GenerateResponse,
    ModelAPI,
    SimulationHint,
)
from mapelite.schemas import split_model_id
from mapelite.settings import Settings

ProviderFactory = Callable[[Settings, int], ModelAPI]


def _openai(settings: Settings, max_connections: int) -> ModelAPI:
    from mapelite.providers.openai_compat import OpenAICompatAPI

    return OpenAICompatAPI(
        settings.openai_base_url,
        api_key=settings.openai_api_key,
        max_connections=max_connections,
    )


def _openrouter(settings: Settings, max_connections: int) -> ModelAPI:
    from mapelite.providers.openrouter import OpenRouterAPI, require_key

    return OpenRouterAPI(
        settings.openrouter_base_url,
        api_key=require_key(settings),
        max_connections=max_connections,
    )


def _ollama(settings: Settings, max_connections: int) -> ModelAPI:
    from mapelite.providers.ollama import OllamaAPI

    return OllamaAPI(settings.ollama_base_url, max_connections=max_connections)


def _mockllm(settings: Settings, max_connections: int) -> ModelAPI:
    from mapelite.providers.mockllm import MockLLMAPI

    return MockLLMAPI(latency_s=settings.mockllm_latency_s, seed=settings.mockllm_seed)


PROVIDERS: dict[str, ProviderFactory] = {
    "openai": _openai,
    "openrouter": _openrouter,
    "ollama": _ollama,
    "mockllm": _mockllm,
}


def provider_of(model_id: str) -> str:
    """The provider prefix of a model id; InvalidInputError for a missing or unknown one."""
    try:
        provider, _ = split_model_id(model_id)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if provider not in PROVIDERS:
        raise InvalidInputError(
            f"unknown provider {provider!r} in model id {model_id!r}; "
            f"known providers: {', '.join(sorted(PROVIDERS))}"
        )
    return provider


def create_model_api(
    model_id: str, settings: Settings, *, max_connections: int | None = None
) -> ModelAPI:
    """A client for the provider of ``model_id`` (ConfigError naming the setting if no key)."""
    provider = provider_of(model_id)
    pool = max_connections if max_connections is not None else settings.provider_limit(provider)
    return PROVIDERS[provider](settings, pool)


__all__ = [
    "PROVIDERS",
    "ChatMessage",
    "GenerateRequest",
    "GenerateResponse",
    "ModelAPI",
    "SimulationHint",
    "create_model_api",
    "provider_of",
]
