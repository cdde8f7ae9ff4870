"""The `model_server` fixture: a real OpenAI/Ollama-compatible HTTP server on loopback.

`server_settings(server)` points every HTTP provider at it, with a test key for OpenRouter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mapelite.config.settings import Settings
from mapelite.testing.model_server import ModelServer

TEST_KEY = "sk-or-test-0123456789abcdef-SECRET"


def server_settings(server: ModelServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "openai_base_url": server.base_url,
        "openrouter_base_url": server.base_url,
        "ollama_base_url": server.ollama_url,
        "openrouter_api_key": TEST_KEY,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server
