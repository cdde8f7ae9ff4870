"""Model providers behind one interface, registered by the model id's provider prefix.

``create_model_api("openrouter/openai/gpt-5-nano", settings)`` returns a client for the
provider's endpoint; callers cache it per endpoint (one client serves every model there).
Also the response cache, the pre-run endpoint check and the grouping of errors by cause.

Imports `mapelite.errors`, `mapelite.schemas`, `mapelite.config` (endpoints, keys),
`mapelite.ledger` (error grouping reads outcomes), `mapelite.harnesses` (the simulator's token
counts) and, inside one function, `mapelite.catalog` (the simulator's skills: the one import up
a floor; passing the skills in would remove it).
"""

from __future__ import annotations

from collections.abc import Callable

from mapelite.config.file import EndpointConfig, endpoint_key
from mapelite.config.settings import Settings, get_settings
from mapelite.errors import ConfigError, InvalidInputError
from mapelite.providers.base import (
    ChatMessage,
    GenerateRequest,
    GenerateResponse,
    ModelAPI,
    SimulationHint,
)
from mapelite.schemas import split_model_id

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


def provider_of(model_id: str, settings: Settings | None = None) -> str:
    """The provider prefix of a model id: a built-in provider or an endpoint of the config file
    (``NAME/model`` uses ``[endpoints.NAME]``); InvalidInputError for a missing or unknown one.
    Limits, slots and Prefect global limits are keyed by this name."""
    try:
        provider, _ = split_model_id(model_id)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if provider in PROVIDERS:
        return provider
    endpoints = (settings or get_settings()).endpoints
    if provider not in endpoints:
        configured = f"; endpoints in the config file: {', '.join(endpoints)}" if endpoints else ""
        raise InvalidInputError(
            f"unknown provider {provider!r} in model id {model_id!r}; "
            f"known providers: {', '.join(sorted(PROVIDERS))}{configured}"
        )
    return provider


def create_model_api(
    model_id: str, settings: Settings, *, max_connections: int | None = None
) -> ModelAPI:
    """A client for the provider of ``model_id`` (ConfigError naming the setting if no key)."""
    provider = provider_of(model_id, settings)
    pool = max_connections if max_connections is not None else settings.provider_limit(provider)
    if provider in PROVIDERS:
        return PROVIDERS[provider](settings, pool)
    return endpoint_api(provider, settings.endpoints[provider], pool)


def endpoint_api(name: str, endpoint: EndpointConfig, max_connections: int) -> ModelAPI:
    """A client for the config file's ``[endpoints.NAME]``: its own base URL, key and name (the
    name keys its concurrency limit, so two servers of one protocol never share slots)."""
    from pydantic import SecretStr

    from mapelite.providers.ollama import OllamaAPI
    from mapelite.providers.openai_compat import OpenAICompatAPI

    key = endpoint_key(endpoint)
    if endpoint.api_key_env is not None and key is None:
        raise ConfigError(
            f"endpoint {name!r} reads its API key from ${endpoint.api_key_env}, which is not set"
        )
    if endpoint.protocol == "ollama":
        return OllamaAPI(endpoint.base_url, max_connections=max_connections, name=name)
    return OpenAICompatAPI(
        endpoint.base_url,
        api_key=SecretStr(key) if key is not None else None,
        key_setting=endpoint.api_key_env or f"[endpoints.{name}] api_key_env",
        max_connections=max_connections,
        name=name,
    )


__all__ = [
    "PROVIDERS",
    "ChatMessage",
    "GenerateRequest",
    "GenerateResponse",
    "ModelAPI",
    "SimulationHint",
    "create_model_api",
    "endpoint_api",
    "provider_of",
]
