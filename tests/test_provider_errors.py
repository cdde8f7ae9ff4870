"""Every fault the server can produce maps to one clear ProviderError, never a KeyError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from mapelite.config.settings import Settings
from mapelite.providers import create_model_api
from mapelite.providers.base import ChatMessage, GenerateRequest
from mapelite.providers.errors import (
    BadResponseError,
    OutOfCreditsError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from mapelite.providers.http import parse_retry_after
from mapelite.testing.model_server import ModelServer
from mapelite.testing.scripts import Fault, FaultKind, ModelScript
from tests.support.model_server_fixtures import server_settings


def ask(timeout_s: float = 5.0) -> GenerateRequest:
    return GenerateRequest(
        model="m", messages=(ChatMessage(role="user", content="hi"),), timeout_s=timeout_s
    )


async def failure_of(server: ModelServer, provider: str, fault: Fault, **kw) -> ProviderError:
    server.script("m", ModelScript(fault_sequence=[fault]))
    api = create_model_api(f"{provider}/m", server_settings(server))
    try:
        with pytest.raises(ProviderError) as caught:
            await api.generate(ask(**kw))
    finally:
        await api.aclose()
    return caught.value


@pytest.mark.parametrize("provider", ["openai", "ollama"])
@pytest.mark.parametrize(
    ("kind", "error_class", "words"),
    [
        ("malformed_json", BadResponseError, "not JSON"),
        ("html", BadResponseError, "HTML page"),
        ("empty_content", BadResponseError, "empty answer"),
        ("server_error", ProviderUnavailableError, "HTTP 500"),
        ("unavailable", ProviderUnavailableError, "HTTP 503"),
        ("credits", OutOfCreditsError, "credits"),
    ],
)
async def test_fault_becomes_a_clear_error_class(
    model_server: ModelServer, provider: str, kind: FaultKind, error_class: type, words: str
):
    error = await failure_of(model_server, provider, Fault(kind))
    assert type(error) is error_class
    assert words in str(error)
    assert error.describe().startswith(f"{error_class.__name__}: ")


async def test_empty_choices_is_a_bad_response(model_server: ModelServer):
    error = await failure_of(model_server, "openai", Fault("empty_choices"))
    assert isinstance(error, BadResponseError) and "no choices" in str(error)


async def test_ollama_without_message_is_a_bad_response(model_server: ModelServer):
    error = await failure_of(model_server, "ollama", Fault("empty_choices"))
    assert isinstance(error, BadResponseError) and "no message" in str(error)


@pytest.mark.parametrize("provider", ["openai", "ollama"])
async def test_429_is_rate_limited_carrying_retry_after(model_server: ModelServer, provider: str):
    error = await failure_of(model_server, provider, Fault.rate_limit("7"))
    assert isinstance(error, RateLimitedError) and error.retryable
    assert error.retry_after == 7.0
    assert error.status == 429


async def test_read_timeout_is_a_provider_timeout(model_server: ModelServer):
    error = await failure_of(model_server, "openai", Fault.hang(5), timeout_s=0.3)
    assert isinstance(error, ProviderTimeoutError) and error.retryable


async def test_unreachable_endpoint_is_provider_unavailable():
    with ModelServer() as server:
        dead_url = server.base_url  # the port is free again once the server stops
    api = create_model_api("openai/m", Settings(openai_base_url=dead_url))
    try:
        with pytest.raises(ProviderUnavailableError) as caught:
            await api.generate(ask())
    finally:
        await api.aclose()
    assert "unreachable" in str(caught.value)


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("2", now=now) == 2.0
    assert parse_retry_after("0.5", now=now) == 0.5
    assert parse_retry_after(later, now=now) == 30.0
    assert parse_retry_after("yesterday-ish", now=now) is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


async def test_html_error_page_with_502_is_unavailable_and_says_html(model_server: ModelServer):
    error = await failure_of(model_server, "openai", Fault("html", status=502))
    assert isinstance(error, ProviderUnavailableError)
    assert "HTML error page" in str(error) and "<html" not in str(error)
