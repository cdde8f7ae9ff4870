"""``openrouter/<vendor>/<name>``: OpenAI chat-completions at OpenRouter.

Differences from a plain OpenAI-compatible server: a key is required, the attribution headers
OpenRouter documents (``HTTP-Referer``, ``X-Title``) are sent, a reasoning setting is sent as
the ``reasoning`` object and provider routing as ``provider``, every response carries
``usage.cost`` (USD; the old ``usage: {include: true}`` switch is deprecated and has no effect,
so it is not sent) and the ``provider`` that served it, and failures may arrive as an ``error``
object in an HTTP 200.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import SecretStr

from mapelite.config.file import RateLimitConfig
from mapelite.config.settings import Settings
from mapelite.errors import ConfigError
from mapelite.providers.base import GenerateRequest
from mapelite.providers.openai_compat import OpenAICompatAPI
from mapelite.providers.reasoning import openrouter_reasoning
from mapelite.schemas import ReasoningSetting

KEY_SETTING = "MAPELITE_OPENROUTER_API_KEY (or OPENROUTER_API_KEY)"
ATTRIBUTION_HEADERS = {
    "HTTP-Referer": "https://github.com/map-elite/map-elite",
    "X-Title": "MAP-ELITE",
}


FREE_MODEL_RATE_LIMIT = RateLimitConfig(requests=20, window_s=60.0)
"""OpenRouter's documented limit of ``:free`` models: 20 requests a minute, account-wide (all
free models share it); a daily cap comes on top (50, or 1,000 once 10 credits were bought)."""


def require_key(settings: Settings) -> SecretStr:
    key = settings.openrouter_api_key
    if key is None or not key.get_secret_value().strip():
        raise ConfigError(f"OpenRouter needs an API key: set {KEY_SETTING}")
    return key


class OpenRouterAPI(OpenAICompatAPI):
    provider = "openrouter"
    check_path = "/key"
    """OpenRouter's model list is public (it takes any key); ``GET /key`` describes the key
    presented and answers 401 for a wrong one, at no cost."""

    def __init__(
        self, base_url: str, *, api_key: SecretStr | None, max_connections: int = 8
    ) -> None:
        super().__init__(
            base_url, api_key=api_key, key_setting=KEY_SETTING, max_connections=max_connections
        )

    def headers(self) -> dict[str, str]:
        return {**super().headers(), **ATTRIBUTION_HEADERS}

    def payload(self, request: GenerateRequest) -> dict[str, Any]:
        body = super().payload(request)
        if request.routing:
            body["provider"] = dict(request.routing)
        return body

    def reasoning_fields(self, setting: ReasoningSetting) -> dict[str, Any]:
        return {"reasoning": openrouter_reasoning(setting)}

    def reported_cost(self, usage: dict[str, Any]) -> float | None:
        cost = usage.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0:
            return float(cost)
        return None


async def fetch_models_async(settings: Settings) -> dict[str, Any]:
    """OpenRouter's model list (GET /models); the key is sent when set (not required)."""
    key = settings.openrouter_api_key
    if key is not None and not key.get_secret_value().strip():
        key = None
    api = OpenRouterAPI(settings.openrouter_base_url, api_key=key, max_connections=1)
    try:
        return await api.get_json("/models", timeout_s=max(settings.connect_timeout_s, 30.0))
    finally:
        await api.aclose()


def fetch_models(settings: Settings) -> dict[str, Any]:
    """Blocking `fetch_models_async`, for the command line."""
    return asyncio.run(fetch_models_async(settings))
