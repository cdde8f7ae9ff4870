"""The project config file, ``mapelite.toml``: the user's endpoints, priced models, tiers, harness
weights and run defaults (DESIGN.md "Settings").

Which file: the path given to `Settings(config_file=...)`, else ``$MAPELITE_CONFIG`` (what the
CLI's ``--config PATH`` sets, so worker processes it starts read the same file), else
``mapelite.toml`` in the working directory when there is one. `Settings` reads
it through pydantic-settings' TOML source, below the environment: ``MAPELITE_WARN_USD`` beats
``[defaults] warn_usd``.

The file is checked strictly before anything uses it: an unknown key, a wrong type, an endpoint
without ``base_url``, a model or tier entry on an endpoint that is not configured, or a tier that
duplicates a built-in one is a `ConfigError` naming the file, the key and what was expected, in
one line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapelite.errors import ConfigError
from mapelite.schemas import ReasoningSetting

CONFIG_FILE_NAME = "mapelite.toml"
CONFIG_ENV = "MAPELITE_CONFIG"
BUILTIN_PROVIDERS = ("openrouter", "ollama", "openai", "mockllm")
BUILTIN_TIERS = ("tier1", "tier2", "tier3", "best8", "demo")
ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
HARNESS_KEYS = ("SENSE", "FUSE", "SHAPE", "DELIVER", "DISRUPT", "IMMUNIZE", "STORE", "DECIDE")


class RateLimitConfig(BaseModel):
    """At most ``requests`` calls per ``window_s`` seconds: a request rate, which a concurrency
    limit does not bound (OpenRouter's ``:free`` models: 20 per minute, account-wide)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: int = Field(ge=1)
    window_s: float = Field(default=60.0, gt=0)


class RoutingConfig(BaseModel):
    """OpenRouter's provider routing object, sent as ``provider`` with every request of the
    model: pin who serves it so that one setup is one deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: list[str] | None = None
    allow_fallbacks: bool | None = None
    only: list[str] | None = None
    ignore: list[str] | None = None
    quantizations: list[str] | None = None
    sort: Literal["price", "throughput", "latency"] | None = None
    require_parameters: bool | None = None
    data_collection: Literal["allow", "deny"] | None = None

    def request_object(self) -> dict[str, Any]:
        """The object as OpenRouter takes it: only the keys that were set."""
        return self.model_dump(exclude_none=True)


class EndpointConfig(BaseModel):
    """``[endpoints.NAME]``: a server speaking the OpenAI chat-completions or Ollama protocol."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(min_length=1, description="e.g. http://127.0.0.1:8000/v1")
    protocol: Literal["openai", "ollama"] = "openai"
    api_key_env: str | None = Field(
        default=None, min_length=1, description="environment variable holding the key"
    )
    limit: int = Field(default=8, ge=1, description="concurrent calls to this endpoint")
    rate_limit: RateLimitConfig | None = Field(default=None, description="requests per window")


class ModelConfig(BaseModel):
    """``[models."NAME/model"]``: prices in USD per million tokens, as in the catalog, and the
    model's own settings: its reasoning setting, OpenRouter provider routing, a request rate.

    Any model may have one, a catalog model (OpenRouter's) included: a price given here
    replaces the catalog's, a price left out keeps it (0 for a model the catalog does not
    list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_price_per_m: float | None = Field(default=None, ge=0)
    output_price_per_m: float | None = Field(default=None, ge=0)
    context_length: int | None = Field(default=None, ge=1)
    reasoning: str | None = Field(
        default=None, description="off|minimal|low|medium|high|N tokens (`ReasoningSetting`)"
    )
    reasons: bool | None = Field(
        default=None, description="whether the model reasons (None: the catalog says, or no)"
    )
    provider: RoutingConfig | None = Field(default=None, description="OpenRouter routing")
    rate_limit: RateLimitConfig | None = Field(default=None, description="requests per window")


class RunDefaults(BaseModel):
    """``[defaults]`` a command uses when its option is not given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    runs: int = Field(default=1, ge=1)
    seed: int | None = None
    items: int | None = Field(default=None, ge=1, description="items sampled per harness run")
    item_seed: int | None = None
    bank: str | None = Field(default=None, min_length=1)
    cache: bool = Field(default=False, description="serve repeated requests from the cache")


class _DefaultsTable(RunDefaults):
    # The two dollar thresholds are top-level settings (MAPELITE_WARN_USD, MAPELITE_BUDGET_USD);
    # the file keeps them under [defaults] with the other run defaults.
    warn_usd: float | None = Field(default=None, ge=0)
    budget_usd: float | None = Field(default=None, ge=0)


class ConfigFile(BaseModel):
    """The whole file, as written."""

    model_config = ConfigDict(extra="forbid")

    endpoints: dict[str, EndpointConfig] = Field(default_factory=dict)
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    tiers: dict[str, list[str]] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    defaults: _DefaultsTable = Field(default_factory=_DefaultsTable)


# -- which file --------------------------------------------------------------------------------


def config_file_path(explicit: str | Path | None = None) -> Path | None:
    """The config file in use: ``explicit``, else ``$MAPELITE_CONFIG``, else ``./mapelite.toml``
    when it exists; None when there is none. A named file that does not exist is an error."""
    named = explicit if explicit is not None else os.environ.get(CONFIG_ENV) or None
    if named is not None:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist (from --config or {CONFIG_ENV})")
        return path.resolve()
    local = Path.cwd() / CONFIG_FILE_NAME
    return local if local.is_file() else None


# -- reading and checking ----------------------------------------------------------------------


def load_config_file(path: Path) -> ConfigFile:
    """Parse and check the file: any problem is one ConfigError line naming file and key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        twice = "overwrite" in str(exc) or "declare" in str(exc)
        hint = " (a key or table defined twice)" if twice else ""
        raise ConfigError(f"{path}: not valid TOML{hint}: {exc}") from None
    try:
        config = ConfigFile.model_validate(raw, strict=True)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe_validation_error(exc)}") from None
    problem = _cross_check(config)
    if problem is not None:
        raise ConfigError(f"{path}: {problem}")
    return config


def settings_values(config: ConfigFile, path: Path) -> dict[str, Any]:
    """The file as `Settings` field values (dollar thresholds lifted to the top level)."""
    defaults = config.defaults.model_dump()
    values: dict[str, Any] = {
        "config_file": path,
        "endpoints": {name: e.model_dump() for name, e in config.endpoints.items()},
        # Only the keys the file sets: an OpenRouter model keeps its catalog prices unless set.
        "models": {
            model_id: m.model_dump(exclude_unset=True) for model_id, m in config.models.items()
        },
        "tiers": {name: list(ids) for name, ids in config.tiers.items()},
        "weights": harness_weights(config.weights),
        "defaults": {k: v for k, v in defaults.items() if k not in ("warn_usd", "budget_usd")},
    }
    for key in ("warn_usd", "budget_usd"):
        if defaults[key] is not None:
            values[key] = defaults[key]
    return values


def harness_weights(weights: Mapping[str, float]) -> dict[int, float]:
    """``{"DECIDE": 2, "0": 1}`` -> ``{7: 2.0, 0: 1.0}`` (keys already checked)."""
    return {_harness_id(key): float(value) for key, value in weights.items()}


def _harness_id(key: str) -> int:
    if key.isdigit():
        return int(key)
    return HARNESS_KEYS.index(key.upper())


def toml_key(parts: Iterable[object]) -> str:
    """A dotted TOML key, quoting parts that need it: ``models."a/x".input_price_per_m``."""
    out = []
    for part in parts:
        text = str(part)
        out.append(text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else f'"{text}"')
    return ".".join(out)


_EXPECTED = {
    "EndpointConfig": "base_url, protocol, api_key_env, limit, rate_limit",
    "ModelConfig": "input_price_per_m, output_price_per_m, context_length, reasoning, reasons, "
    "provider, rate_limit",
    "_DefaultsTable": "runs, seed, warn_usd, budget_usd, items, item_seed, bank",
    "ConfigFile": '[endpoints.NAME], [models."NAME/model"], [tiers], [weights], [defaults]',
}


def _describe_validation_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = [part for part in first["loc"] if not str(part).startswith("function-")]
    key = toml_key(loc) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        table = _table_of(loc)
        message = f"unknown key {key}; expected one of: {_EXPECTED.get(table, '')}".rstrip(": ")
    elif kind == "missing":
        message = f"{key} is missing; expected {_what(loc)}"
    else:
        message = f"{key}: expected {_what(loc)}, got {first.get('input')!r} ({first['msg']})"
    more = len(errors) - 1
    return message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _table_of(loc: list[Any]) -> str:
    if len(loc) <= 1:
        return "ConfigFile"
    return {"endpoints": "EndpointConfig", "models": "ModelConfig", "defaults": "_DefaultsTable"}[
        str(loc[0])
    ]


def _what(loc: list[Any]) -> str:
    """What a key should hold, in the user's words."""
    leaf = str(loc[-1]) if loc else ""
    table = str(loc[0]) if loc else ""
    if table == "tiers":
        return 'a list of model ids, e.g. mine = ["vllm/qwen2.5-7b"]'
    if table == "weights":
        return "a number >= 0 per harness id or name, e.g. DECIDE = 2.0"
    return {
        "base_url": 'the server URL as a string, e.g. "http://127.0.0.1:8000/v1"',
        "protocol": '"openai" or "ollama"',
        "api_key_env": "the name of an environment variable holding the key",
        "limit": "a whole number of concurrent calls >= 1",
        "input_price_per_m": "USD per million input tokens, a number >= 0",
        "output_price_per_m": "USD per million output tokens, a number >= 0",
        "context_length": "a whole number of tokens >= 1",
        "reasoning": 'off, minimal, low, medium, high or a number of tokens, e.g. "low"',
        "runs": "a whole number >= 1",
        "items": "a whole number >= 1",
        "seed": "a whole number",
        "item_seed": "a whole number",
        "bank": "a bank name",
        "warn_usd": "a dollar amount >= 0",
        "budget_usd": "a dollar amount >= 0",
    }.get(leaf, "a table")


def _cross_check(config: ConfigFile) -> str | None:
    """What pydantic cannot check key by key: names that must refer to each other."""
    for name in config.endpoints:
        if name in BUILTIN_PROVIDERS:
            return (
                f"[endpoints.{name}]: {name!r} is a built-in provider; give the endpoint "
                f"another name (built-in: {', '.join(BUILTIN_PROVIDERS)})"
            )
        if not ENDPOINT_NAME.match(name):
            return f"[endpoints.{toml_key([name])}]: expected a name of letters, digits, _ . -"
    endpoints = sorted(config.endpoints)
    known = ", ".join(endpoints) if endpoints else "none configured"
    for model_id, model in config.models.items():
        table = f"[models.{toml_key([model_id])}]"
        endpoint = _endpoint_of(model_id)
        if "@" in model_id:
            return (
                f"{table}: a model table names a model, not a setup; expected "
                f"[models.{toml_key([model_id.rpartition('@')[0]])}] with reasoning = "
                f'"{model_id.rpartition("@")[2]}"'
            )
        if endpoint not in config.endpoints and endpoint not in BUILTIN_PROVIDERS:
            return (
                f"{table}: endpoint {endpoint!r} is not configured; expected NAME/model with "
                f"NAME one of [endpoints.*] ({known}) or {', '.join(BUILTIN_PROVIDERS)}"
            )
        problem = _setting_problem(model.reasoning)
        if problem is not None:
            return f"{table} reasoning: {problem}"
    for tier, model_ids in config.tiers.items():
        if tier in BUILTIN_TIERS:
            return (
                f"tiers.{tier}: duplicates the built-in tier {tier!r}; expected a new name "
                f"(built-in tiers: {', '.join(BUILTIN_TIERS)})"
            )
        if not model_ids:
            return f"tiers.{tier} is empty; expected at least one model id"
        seen: set[str] = set()
        for model_id in model_ids:
            if model_id in seen:
                return f"tiers.{tier} lists {model_id!r} twice; expected each model once"
            seen.add(model_id)
            model_part, at, setting = model_id.rpartition("@")
            problem = _setting_problem(setting) if at else None
            if problem is not None:
                return f"tiers.{tier}: {model_id!r}: {problem}"
            endpoint = _endpoint_of(model_part if at else model_id)
            if endpoint not in config.endpoints and endpoint not in BUILTIN_PROVIDERS:
                return (
                    f"tiers.{tier}: {model_id!r} is on endpoint {endpoint!r}, which is not "
                    f"configured; expected one of [endpoints.*] ({known}) or "
                    f"{', '.join(BUILTIN_PROVIDERS)}"
                )
    for key in config.weights:
        if not (key.isdigit() and int(key) < len(HARNESS_KEYS)) and key.upper() not in HARNESS_KEYS:
            return (
                f"weights.{toml_key([key])}: unknown harness; expected an id 0-7 or one of "
                f"{', '.join(HARNESS_KEYS)}"
            )
    return None


def _setting_problem(setting: str | None) -> str | None:
    """Why ``setting`` is not a reasoning setting (None when it is one, or absent)."""
    if setting is None:
        return None
    try:
        ReasoningSetting.parse(setting)
    except ValueError as exc:
        return str(exc)
    return None


def _endpoint_of(model_id: str) -> str:
    endpoint, sep, name = model_id.partition("/")
    return endpoint if sep and name else ""


def endpoint_key(endpoint: EndpointConfig) -> str | None:
    """The endpoint's key from the environment variable it names (None without one)."""
    if endpoint.api_key_env is None:
        return None
    return os.environ.get(endpoint.api_key_env) or None
