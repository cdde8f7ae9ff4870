"""Models, prices and tiers.

The catalog ships as ``mapelite/data/catalog.json`` (a dated snapshot of OpenRouter prices plus
the offline ``demo`` tier of simulated mockllm models). ``map-elite models refresh`` writes a
fresh copy to ``$MAPELITE_HOME/catalog.json``, which `load_catalog` then prefers. The catalog's
``hash`` (sha256 of the file bytes used) goes into every ledger entry it priced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapelite.errors import ConfigError, InvalidInputError, one_line, validation_line
from mapelite.schemas import split_model_id

if TYPE_CHECKING:
    from mapelite.config.file import ModelConfig
    from mapelite.config.settings import Settings

SHIPPED_CATALOG = Path(__file__).parent.parent / "data" / "catalog.json"
CATALOG_FILE_NAME = "catalog.json"
FREE_PROVIDERS = ("ollama", "openai")
"""Providers whose models may be used without a catalog entry (local servers: price 0).
Simulated ``mockllm`` models must be catalog entries (`Catalog.get`)."""


class ModelEntry(BaseModel):
    """One model with its prices in USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(description="full model id with provider prefix")
    provider: str
    name: str
    input_price_per_m: float = Field(default=0.0, ge=0)
    output_price_per_m: float = Field(default=0.0, ge=0)
    context_length: int | None = Field(default=None, ge=0)
    skill: float | None = Field(default=None, ge=0, le=1, description="mockllm only")
    simulated: bool = False
    display_name: str | None = None
    free: bool = Field(default=False, description="a `:free` variant: no cost, rate-limited")
    rate_limit: str | None = Field(default=None, description="the free variant's rate limit")
    variable_price: bool = Field(
        default=False, description="priced per request by a router (OpenRouter's price -1)"
    )
    configured: bool = Field(default=False, description="priced by the config file")
    reasons: bool = Field(
        default=False, description="reasons before answering (OpenRouter: `reasoning` supported)"
    )
    internal_reasoning_price_per_m: float | None = Field(
        default=None, ge=0, description="price of reasoning tokens when not the output price"
    )
    reasoning: str | None = Field(
        default=None, description="the config file's reasoning setting for the model"
    )

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ModelEntry:
        provider, name = split_model_id(str(data["id"]))
        fields = dict(data)
        display = fields.pop("name", None)
        fields.setdefault("simulated", provider == "mockllm")
        return cls(provider=provider, name=name, display_name=display, **fields)


class Catalog:
    """Models by id and named tiers (lists of model ids)."""

    def __init__(
        self,
        models: Sequence[ModelEntry],
        tiers: Mapping[str, Sequence[str]],
        *,
        hash: str,
        source: str = "",
        snapshot_date: str | None = None,
        endpoints: Sequence[str] = (),
        config_tiers: Sequence[str] = (),
    ) -> None:
        self.models: dict[str, ModelEntry] = {m.id: m for m in models}
        self.endpoints = tuple(endpoints)
        """Config-file endpoints: their unlisted models are priced at 0, like local servers."""
        self.config_tiers = tuple(config_tiers)
        self.tiers: dict[str, list[str]] = {name: list(ids) for name, ids in tiers.items()}
        self.hash = hash
        self.source = source
        self.snapshot_date = snapshot_date

    def get(self, model_id: str) -> ModelEntry:
        """The entry for ``model_id``; local (ollama/openai) models not listed are priced at 0,
        an unlisted mockllm model is an InvalidInputError naming the simulated models. A setup
        (``model@setting``) has its model's entry: a setting changes tokens, not prices."""
        model_id = model_id.rpartition("@")[0] or model_id
        entry = self.models.get(model_id)
        if entry is not None:
            return entry
        try:
            provider, name = split_model_id(model_id)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        if provider == "mockllm":
            # Simulated models exist only as catalog entries (their skill and prices live
            # there): an unknown name would silently run with a default skill.
            simulated = sorted(m for m, e in self.models.items() if e.provider == "mockllm")
            raise InvalidInputError(
                f"unknown simulated model {model_id!r}; mockllm models: {', '.join(simulated)}"
            )
        if provider in FREE_PROVIDERS or provider in self.endpoints:
            return ModelEntry(id=model_id, provider=provider, name=name)
        if provider == "openrouter":
            raise InvalidInputError(
                f"model {model_id!r} is not in the catalog; run `map-elite models` to list "
                "models, or `map-elite models refresh` to fetch OpenRouter's current list"
            )
        endpoints = "".join(f"{e}/, " for e in self.endpoints)
        raise InvalidInputError(
            f"unknown provider {provider!r} in {model_id!r}; use openrouter/, ollama/, "
            f"openai/, {endpoints}or mockllm/ (endpoints are named in mapelite.toml)"
        )

    def is_simulated(self, model_id: str) -> bool:
        """Whether ``model_id`` is an offline simulation: what its entry says; an unlisted model
        is simulated only when it is a mockllm one. The one place this is decided."""
        entry = self.models.get(model_id.rpartition("@")[0] or model_id)
        if entry is not None:
            return entry.simulated
        return model_id.partition("/")[0] == "mockllm"

    def all_simulated(self, models: Iterable[str]) -> bool:
        """Whether every one of ``models`` is simulated (a run of them prints SIMULATED and
        takes the simulated runs' defaults, `mapelite.config.run_options.default_sample`)."""
        return all(self.is_simulated(model) for model in models)

    def tier(self, name: str) -> list[str]:
        """Model ids of tier ``name`` (possibly none); an unknown tier names the valid ones.
        What runs a tier goes through `select_models`, which refuses an empty one."""
        models = self.tiers.get(name)
        if models is None:
            raise InvalidInputError(
                f"unknown tier {name!r}; valid tiers: {', '.join(self.tier_names())}"
            )
        return list(models)

    def tier_names(self) -> list[str]:
        return list(self.tiers)

    def is_simulated_tier(self, name: str) -> bool:
        return all(self.get(model).simulated for model in self.tier(name))


def catalog_from_bytes(raw: bytes, source: str = "") -> Catalog:
    """Parse a catalog file's bytes; its hash is the sha256 of exactly these bytes."""
    where = source or "(bytes)"
    try:
        data = json.loads(raw)
        models = [_entry_at(index, m, where) for index, m in enumerate(data["models"])]
        tiers = {str(name): [str(i) for i in ids] for name, ids in data.get("tiers", {}).items()}
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else one_line(str(exc))
        raise ConfigError(f"catalog {where} is not valid: {detail}") from None
    return Catalog(
        models,
        tiers,
        hash=hashlib.sha256(raw).hexdigest(),
        source=source,
        snapshot_date=data.get("snapshot_date"),
    )


def with_config(catalog: Catalog, settings: Settings) -> Catalog:
    """``catalog`` plus the config file's priced models, endpoints and tiers.

    A config tier that shadows a catalog tier is a ConfigError (the file's checks already refuse
    the built-in names). The hash covers the config's prices too, so a ledger entry priced by a
    configured model names prices that can be found again."""
    if not (settings.models or settings.tiers or settings.endpoints):
        return catalog
    cached = _merged.get("last")
    if cached is not None and cached[0] is catalog and cached[1] is settings:
        return cached[2]
    merged = _merge_config(catalog, settings)
    _merged["last"] = (catalog, settings, merged)
    return merged


_merged: dict[str, tuple[Catalog, Settings, Catalog]] = {}
"""The last merge (inputs held, so identity is safe): the simulator looks the catalog up per
model, and a merge hashes the config each time."""


def _merge_config(catalog: Catalog, settings: Settings) -> Catalog:
    source = str(settings.config_file or "the environment")
    for name in settings.tiers:
        if name in catalog.tiers:
            raise ConfigError(
                f"{source}: tiers.{name}: duplicates the catalog tier {name!r}; expected a new name"
            )
    configured = [
        _configured_entry(catalog.models.get(model_id), model_id, table)
        for model_id, table in settings.models.items()
    ]
    extra = json.dumps(
        {
            "models": {m.id: m.model_dump() for m in configured},
            "tiers": settings.tiers,
            "endpoints": sorted(settings.endpoints),
        },
        sort_keys=True,
    )
    return Catalog(
        [*catalog.models.values(), *configured],
        {**catalog.tiers, **settings.tiers},
        hash=hashlib.sha256(f"{catalog.hash}\n{extra}".encode()).hexdigest(),
        source=f"{catalog.source} + {source}",
        snapshot_date=catalog.snapshot_date,
        endpoints=list(settings.endpoints),
        config_tiers=list(settings.tiers),
    )


CONFIG_PRICE_KEYS = ("input_price_per_m", "output_price_per_m", "context_length")


def _configured_entry(base: ModelEntry | None, model_id: str, table: ModelConfig) -> ModelEntry:
    """A model as the config file sets it: the keys the table sets over the catalog's entry
    (an OpenRouter model keeps its catalog prices unless the table overrides them)."""
    provider, name = split_model_id(model_id)
    fields: dict[str, Any] = base.model_dump() if base is not None else {}
    fields.update(id=model_id, provider=provider, name=name, configured=True)
    for key in (*CONFIG_PRICE_KEYS, "reasons", "reasoning"):
        if getattr(table, key) is not None:  # a key left out keeps the catalog's value
            fields[key] = getattr(table, key)
    return ModelEntry(**fields)


def _entry_at(index: int, data: Any, where: str) -> ModelEntry:
    """One model entry; its validation error is one line naming the file, entry and field."""
    try:
        return ModelEntry.from_data(data)
    except ValidationError as exc:
        model = data.get("id") if isinstance(data, Mapping) else None
        entry = f"models[{index}]" + (f" ({model})" if model else "")
        raise ConfigError(f"catalog {where} is not valid: {validation_line(exc, entry)}") from None


def catalog_path() -> Path:
    """The refreshed catalog in ``$MAPELITE_HOME`` when present, else the shipped one."""
    from mapelite.config.settings import get_settings

    refreshed = get_settings().home / CATALOG_FILE_NAME
    return refreshed if refreshed.is_file() else SHIPPED_CATALOG


def load_catalog() -> Catalog:
    """The catalog in use with the config file's models, endpoints and tiers (`with_config`)."""
    from mapelite.config.settings import get_settings

    return with_config(load_file_catalog(), get_settings())


def load_file_catalog() -> Catalog:
    """The catalog file alone (cached until the file changes): what a refresh starts from, so
    config tiers never enter the catalog file."""
    path = catalog_path()
    stat = path.stat()
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Catalog:
    return catalog_from_bytes(Path(path).read_bytes(), source=path)


def entry_data(entry: ModelEntry) -> dict[str, Any]:
    """A model's record in the catalog file."""
    data: dict[str, Any] = {
        "id": entry.id,
        "name": entry.display_name or entry.name,
        "input_price_per_m": entry.input_price_per_m,
        "output_price_per_m": entry.output_price_per_m,
        "context_length": entry.context_length,
    }
    for flag in ("skill", "rate_limit", "internal_reasoning_price_per_m"):
        if getattr(entry, flag) is not None:
            data[flag] = getattr(entry, flag)
    for flag in ("simulated", "free", "variable_price", "reasons"):
        if getattr(entry, flag):
            data[flag] = True
    return data


def write_catalog(data: Mapping[str, Any], path: Path) -> Path:
    """Write a catalog file atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
