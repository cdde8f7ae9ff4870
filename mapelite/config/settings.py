"""Settings from the environment (prefix ``MAPELITE_``), an optional ``.env`` file and the project
config file ``mapelite.toml`` (`mapelite.config.file`), in that order of precedence."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from mapelite.config.file import (
    CONFIG_ENV,
    EndpointConfig,
    ModelConfig,
    RunDefaults,
    config_file_path,
    load_config_file,
    settings_values,
)
from mapelite.stats.fitness import DEFAULT_WEIGHTS, FitnessWeights

DEFAULT_PROVIDER_LIMITS: dict[str, int] = {"openrouter": 8, "ollama": 4, "openai": 8, "mockllm": 64}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAPELITE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        env_nested_delimiter="__",
    )

    config_file: Path | None = Field(default=None, description="the mapelite.toml in use")

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
    progress_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="off a terminal, a running stage prints its progress at most this often",
    )
    mockllm_seed: int = 0
    mockllm_latency_s: float = Field(default=0.0, ge=0)

    # From the config file (`mapelite.config.file`); the environment may override them too.
    endpoints: dict[str, EndpointConfig] = Field(default_factory=dict)
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    tiers: dict[str, list[str]] = Field(default_factory=dict)
    weights: dict[int, float] = Field(default_factory=dict)
    defaults: RunDefaults = Field(default_factory=RunDefaults)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        explicit = getattr(init_settings, "init_kwargs", {}).get("config_file")
        config = ConfigFileSource(settings_cls, config_file_path(explicit))
        return init_settings, env_settings, dotenv_settings, config, file_secret_settings

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
        # An endpoint's limit is keyed by its name, like a provider's; an explicit
        # MAPELITE_PROVIDER_LIMITS entry (the environment) wins over the file.
        for name, endpoint in self.endpoints.items():
            merged[name] = endpoint.limit
        merged.update(self.provider_limits)
        self.provider_limits = merged
        return self

    @property
    def ledger(self) -> Path:
        assert self.ledger_path is not None
        return self.ledger_path

    def provider_limit(self, provider: str) -> int:
        return self.provider_limits.get(provider, 8)

    def model_settings(self, model: str) -> ModelConfig | None:
        """The config file's ``[models."<model>"]`` table for a model id, if there is one."""
        return self.models.get(model)

    def fitness_weights(self) -> FitnessWeights:
        """The default harness weights with the config file's ``[weights]`` over them."""
        return FitnessWeights(weights={**DEFAULT_WEIGHTS, **self.weights})


class ConfigFileSource(TomlConfigSettingsSource):
    """pydantic-settings' TOML source reading the checked config file (none: no values)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        self.path = path
        super().__init__(settings_cls, toml_file=path)

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        path = Path(str(file_path))
        return settings_values(load_config_file(path), path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def use_config_file(path: str | Path) -> Path:
    """Make ``path`` the config file of this process and of the processes it starts (what
    ``--config PATH`` does); the file is checked at once. Returns the resolved path."""
    resolved = config_file_path(path)
    assert resolved is not None
    load_config_file(resolved)
    os.environ[CONFIG_ENV] = str(resolved)
    get_settings.cache_clear()
    return resolved
