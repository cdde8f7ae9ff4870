"""Settings from the environment (prefix ``MAPELITE_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PROVIDER_LIMITS: dict[str, int] = {"openrouter": 8, "ollama": 4, "openai": 8, "mockllm": 64}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAPELITE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Path("~/.mapelite").expanduser()
    ledger_path: Path | None = None

    openrouter_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("MAPELITE_OPENROUTER_API_KEY", "OPENROUTER_API_KEY"),
    )
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    openai_api_key: SecretStr | None = None
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    ollama_base_url: str = "http://127.0.0.1:11434"

    nats_url: str = "nats://127.0.0.1:4222"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "mapelite-harness"
    connect_timeout_s: float = 5.0

    warn_usd: float = Field(default=0.50, ge=0)
    budget_usd: float = Field(default=1.00, ge=0)

    provider_limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PROVIDER_LIMITS))
    prefect_global_limits: bool = Field(
        default=True,
        description="with a Prefect server configured, also hold the provider's Prefect global "
        "concurrency limit around each model call (false: in-process limits only)",
    )
    max_agents: int = Field(default=4096, ge=1, description="cap on total agents of a pattern")
    mockllm_seed: int = 0
    mockllm_latency_s: float = Field(default=0.0, ge=0)

    @field_validator("home")
    @classmethod
    def _home_is_a_directory(cls, home: Path) -> Path:
        # A file here used to be ignored silently (the shipped catalog was used instead).
        expanded = Path(home).expanduser()
        if expanded.exists() and not expanded.is_dir():
            raise ValueError(f"{expanded} is not a directory; point it at a directory")
        return expanded

    @field_validator("provider_limits")
    @classmethod
    def _limits_are_positive(cls, limits: dict[str, int]) -> dict[str, int]:
        # A limit of 0 would make every call to that provider wait forever.
        bad = {provider: limit for provider, limit in limits.items() if limit < 1}
        if bad:
            listed = ", ".join(f"{provider}={limit}" for provider, limit in bad.items())
            raise ValueError(f"every provider limit must be at least 1, got {listed}")
        return limits

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.home = Path(self.home).expanduser()
        if self.ledger_path is None:
            self.ledger_path = self.home / "ledger.jsonl"
        else:
            self.ledger_path = Path(self.ledger_path).expanduser()
        merged = dict(DEFAULT_PROVIDER_LIMITS)
        merged.update(self.provider_limits)
        self.provider_limits = merged
        return self

    @property
    def ledger(self) -> Path:
        assert self.ledger_path is not None
        return self.ledger_path

    def provider_limit(self, provider: str) -> int:
        return self.provider_limits.get(provider, 8)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
