"""What ``map-elite config show`` prints and ``map-elite config init`` writes.

`describe_settings` lists every resolved setting with where its value came from (the
environment, ``.env``, the config file or the default), keys masked; `CONFIG_EXAMPLE` is a
commented ``mapelite.toml`` that loads as it is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource

from mapelite.config.file import CONFIG_FILE_NAME, endpoint_key, load_config_file
from mapelite.config.settings import Settings, get_settings
from mapelite.errors import ConfigError

MASK = "********"


class ConfigValue(BaseModel):
    """One resolved setting: dotted key, value (keys masked) and its source."""

    key: str
    value: Any
    source: str


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _covers(keys: set[str], key: str) -> bool:
    """``key`` or a table above it was set by the source with ``keys``."""
    parts = key.split(".")
    return any(".".join(parts[:n]) in keys for n in range(1, len(parts) + 1))


def _file_keys(path: Path) -> set[str]:
    """Setting keys the file itself writes (not the defaults of its tables)."""
    load_config_file(path)  # a broken file is the same one-line error as everywhere
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = set(_flatten(raw))
    for threshold in ("warn_usd", "budget_usd"):
        if f"defaults.{threshold}" in keys:
            keys.add(threshold)
    for name, endpoint in (raw.get("endpoints") or {}).items():
        if "limit" in endpoint:
            keys.add(f"provider_limits.{name}")
    if raw.get("weights"):
        keys.add("weights")  # written by harness name, shown by id
    keys.add("config_file")
    return keys


def _field_keys(values: Mapping[str, Any]) -> set[str]:
    """A source's flattened keys by field name: a field read through an alias (such as
    ``OPENROUTER_API_KEY``) comes back under the alias."""
    aliases: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        if isinstance(field.validation_alias, AliasChoices):
            for choice in field.validation_alias.choices:
                aliases[str(choice).lower()] = name
    return {aliases.get(key.lower(), key) for key in _flatten(values)}


def describe_settings(settings: Settings | None = None) -> list[ConfigValue]:
    """Every setting with its value and source, in field order; API keys are masked, and each
    endpoint's key shows only whether its environment variable is set."""
    settings = settings or get_settings()
    env = _field_keys(EnvSettingsSource(Settings)())
    dotenv = _field_keys(DotEnvSettingsSource(Settings)())
    path = settings.config_file
    from_file = _file_keys(path) if path else set()
    rows = []
    for key, value in _flatten(settings.model_dump(mode="json")).items():
        if key.endswith("api_key") and value is not None:
            value = MASK
        if _covers(env, key):
            source = "environment"
        elif _covers(dotenv, key):
            source = ".env"
        elif _covers(from_file, key) or (
            key.startswith("provider_limits.")
            and from_file
            and f"endpoints.{key.split('.', 1)[1]}.limit" in from_file
        ):
            source = str(path)
        else:
            source = "default"
        rows.append(ConfigValue(key=key, value=value, source=source))
    for name, endpoint in settings.endpoints.items():
        if endpoint.api_key_env is not None:
            is_set = endpoint_key(endpoint) is not None
            rows.append(
                ConfigValue(
                    key=f"endpoints.{name}.api_key",
                    value=MASK if is_set else None,
                    source=f"environment ${endpoint.api_key_env}"
                    + ("" if is_set else " (not set)"),
                )
            )
    return rows


CONFIG_EXAMPLE = """\
# mapelite.toml: your own endpoints, models, tiers and defaults for map-elite.
# map-elite reads ./mapelite.toml, or the file given with --config PATH (or $MAPELITE_CONFIG).
# Environment settings (MAPELITE_*) override what is written here.

# An endpoint is a server speaking the OpenAI chat-completions API (vLLM, llama.cpp server,
# LM Studio...) or Ollama's. A model id NAME/model uses endpoint NAME: "vllm/qwen2.5-7b".
[endpoints.vllm]
base_url = "http://127.0.0.1:8000/v1"
protocol = "openai"            # "openai" or "ollama"
# api_key_env = "VLLM_API_KEY" # the environment variable holding its key, if it needs one
limit = 4                      # calls in flight at once to this endpoint

[endpoints.gpu2]
base_url = "http://10.0.0.2:11434"
protocol = "ollama"
limit = 2

# Prices in USD per million tokens, as in the catalog: score per dollar uses them.
# Models not listed here cost 0.
[models."vllm/qwen2.5-7b"]
input_price_per_m = 0.02
output_price_per_m = 0.06
context_length = 32768

# Your tiers: use them with --tier mine (names must differ from tier1-3, best8 and demo).
[tiers]
mine = ["vllm/qwen2.5-7b", "gpu2/llama3.2:3b"]

# Fitness weight per harness (an id 0-7 or a name); the others keep their defaults.
[weights]
DECIDE = 2.0
SHAPE = 1.5

# What a command uses when its option is not given.
[defaults]
runs = 1
# seed = 0
warn_usd = 0.50     # ask for --yes above this estimate (MAPELITE_WARN_USD)
budget_usd = 1.00   # stop scheduling calls once a run has spent this (MAPELITE_BUDGET_USD)
"""


def write_example(path: Path | None = None, *, force: bool = False) -> Path:
    """Write `CONFIG_EXAMPLE` to ``path`` (default ./mapelite.toml); an existing file is kept
    unless ``force``."""
    target = path or Path.cwd() / CONFIG_FILE_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; not overwritten (use --force to replace it)")
    target.write_text(CONFIG_EXAMPLE, encoding="utf-8")
    return target
