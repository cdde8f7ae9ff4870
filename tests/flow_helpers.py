"""Helpers shared by the flow tests: pointing providers at the model server, reading the ledger."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mapelite.ledger import Ledger
from mapelite.schemas import HarnessResult
from mapelite.settings import Settings, get_settings
from mapelite.testing.model_server import ModelServer
from tests.support.model_server_fixtures import TEST_KEY

REPO = Path(__file__).resolve().parents[1]


def use_model_server(
    monkeypatch: pytest.MonkeyPatch, server: ModelServer, *, global_limits: bool = False
) -> Settings:
    """Providers at ``server``; Prefect global limits off unless asked for (they make every call
    3 round trips to the SQLite test API: slow, and tested on their own)."""
    monkeypatch.setenv("MAPELITE_PREFECT_GLOBAL_LIMITS", "true" if global_limits else "false")
    monkeypatch.setenv("MAPELITE_OPENROUTER_BASE_URL", server.base_url)
    monkeypatch.setenv("MAPELITE_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("MAPELITE_OPENROUTER_API_KEY", TEST_KEY)
    get_settings.cache_clear()
    return get_settings()


def ledger_entries() -> list[HarnessResult]:
    return list(Ledger(get_settings().ledger).read())


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = str(REPO)
    return env


PYTHON = sys.executable
