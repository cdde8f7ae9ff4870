"""The preflight: before any paid call, every distinct endpoint of a run is reachable and takes
its key.

Each provider makes the cheapest request its protocol allows (`ModelAPI.check`):

| provider | request | why |
| --- | --- | --- |
| openai (OpenAI-compatible) | ``GET /models`` | free; checks the key where there is one |
| openrouter | ``GET /key`` | free; ``/models`` is public and would accept any key |
| ollama | ``GET /api/tags`` | free; loads no model |
| mockllm | nothing | simulated in-process |

All endpoints are checked at once, each within ``settings.connect_timeout_s``; every endpoint
that fails is named in one `PreflightError` line with the setting to fix, e.g.
``ollama at http://127.0.0.1:11434 is unreachable: set MAPELITE_OLLAMA_BASE_URL or start the
server``. A 429 on the check proves both reachability and the key, so it passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from mapelite.config.settings import Settings
from mapelite.errors import EXIT_PROVIDER
from mapelite.providers import create_model_api, provider_of
from mapelite.providers.base import ModelAPI
from mapelite.providers.errors import (
    AuthError,
    BadResponseError,
    OutOfCreditsError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)


@dataclass(frozen=True)
class Endpoint:
    """Where a provider's calls go, and the settings a user changes to fix it."""

    provider: str
    base_url: str | None
    url_setting: str | None
    key_setting: str | None

    @property
    def label(self) -> str:
        return f"{self.provider} at {self.base_url}" if self.base_url else self.provider


def endpoint_of(provider: str, settings: Settings) -> Endpoint:
    """The endpoint (and its settings) of a provider under ``settings``."""
    if provider == "openrouter":
        from mapelite.providers.openrouter import KEY_SETTING

        return Endpoint(
            provider, settings.openrouter_base_url, "MAPELITE_OPENROUTER_BASE_URL", KEY_SETTING
        )
    if provider == "openai":
        return Endpoint(
            provider,
            settings.openai_base_url,
            "MAPELITE_OPENAI_BASE_URL",
            "MAPELITE_OPENAI_API_KEY",
        )
    if provider == "ollama":
        return Endpoint(provider, settings.ollama_base_url, "MAPELITE_OLLAMA_BASE_URL", None)
    return Endpoint(provider, None, None, None)


class PreflightError(ProviderError):
    """One or more endpoints are unreachable or refused their key; nothing was called."""

    exit_code = EXIT_PROVIDER

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def problem_line(endpoint: Endpoint, exc: ProviderError) -> str:
    """What failed at ``endpoint`` and the setting that fixes it, as one line."""
    where = endpoint.label
    url_fix = f"set {endpoint.url_setting}" if endpoint.url_setting else "check the endpoint"
    if isinstance(exc, AuthError):
        key_fix = f"check {endpoint.key_setting}" if endpoint.key_setting else "check its access"
        return f"{where} refused the key (HTTP {exc.status}): {key_fix}"
    if isinstance(exc, OutOfCreditsError):
        return f"{where} reports insufficient credits (HTTP 402): add credits"
    if exc.status is None and isinstance(exc, ProviderUnavailableError | ProviderTimeoutError):
        remedy = "check the network" if endpoint.provider == "openrouter" else "start the server"
        return f"{where} is unreachable: {url_fix} or {remedy}"
    if exc.status is not None and exc.status >= 500:
        return f"{where} is failing (HTTP {exc.status}); try again later or {url_fix}"
    if isinstance(exc, BadResponseError) and exc.status in (None, 200):
        return f"{where} does not answer as a {endpoint.provider} server: {url_fix}"
    status = f"HTTP {exc.status}" if exc.status is not None else type(exc).__name__
    return f"{where} answered {status} to its check request: {url_fix}"


async def _check(api: ModelAPI, endpoint: Endpoint, timeout_s: float) -> str | None:
    try:
        await api.check(timeout_s)
    except RateLimitedError:
        return None  # reachable, and the key was taken: it is only busy
    except ProviderError as exc:
        return problem_line(endpoint, exc)
    finally:
        await api.aclose()
    return None


async def preflight_endpoints(
    models: Iterable[str], settings: Settings, *, timeout_s: float | None = None
) -> list[Endpoint]:
    """Check every distinct endpoint of ``models`` with one cheap request each, concurrently.

    Returns the endpoints checked (simulated providers included, unchecked). Raises
    `ConfigError` for a missing key (before any request), `PreflightError` naming every
    endpoint that failed and the setting to fix.
    """
    first_model: dict[str, str] = {}
    for model in models:
        first_model.setdefault(provider_of(model), model)
    # Build every client first: a missing key is a ConfigError before any request is made.
    apis = {p: create_model_api(m, settings, max_connections=1) for p, m in first_model.items()}
    endpoints = {provider: endpoint_of(provider, settings) for provider in apis}
    limit = timeout_s if timeout_s is not None else settings.connect_timeout_s
    problems = await asyncio.gather(
        *(_check(api, endpoints[provider], limit) for provider, api in apis.items())
    )
    failed = [problem for problem in problems if problem is not None]
    if failed:
        raise PreflightError(failed)
    return list(endpoints.values())


def preflight(models: Iterable[str], settings: Settings, *, timeout_s: float | None = None) -> None:
    """Blocking `preflight_endpoints`, for callers outside an event loop (the command line)."""
    asyncio.run(preflight_endpoints(list(models), settings, timeout_s=timeout_s))
