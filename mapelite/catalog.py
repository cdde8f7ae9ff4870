"""Models, prices and tiers.

The catalog ships as ``mapelite/data/catalog.json`` (a dated snapshot of OpenRouter prices plus
the offline ``demo`` tier of simulated mockllm models). ``map-elite models refresh`` writes a
fresh copy to ``$MAPELITE_HOME/catalog.json``, which `load_catalog` then prefers. The catalog's
``hash`` (sha256 of the file bytes used) goes into every ledger entry it priced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapelite.errors import ConfigError, InvalidInputError, one_line, validation_line
from mapelite.schemas import split_model_id

SHIPPED_CATALOG = Path(__file__).parent / "data" / "catalog.json"
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
    ) -> None:
        self.models: dict[str, ModelEntry] = {m.id: m for m in models}
        self.tiers: dict[str, list[str]] = {name: list(ids) for name, ids in tiers.items()}
        self.hash = hash
        self.source = source
        self.snapshot_date = snapshot_date

    def get(self, model_id: str) -> ModelEntry:
        """The entry for ``model_id``; local (ollama/openai) models not listed are priced at 0,
        an unlisted mockllm model is an InvalidInputError naming the simulated models."""
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
        if provider in FREE_PROVIDERS:
            return ModelEntry(id=model_id, provider=provider, name=name)
        if provider == "openrouter":
            raise InvalidInputError(
                f"model {model_id!r} is not in the catalog; run `map-elite models` to list "
                "models, or `map-elite models refresh` to fetch OpenRouter's current list"
            )
        raise InvalidInputError(
            f"unknown provider {provider!r} in {model_id!r}; use openrouter/, ollama/, "
            "openai/ or mockllm/"
        )

    def tier(self, name: str) -> list[str]:
        """Model ids of tier ``name``; an unknown tier names the valid ones."""
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
    from mapelite.settings import get_settings

    refreshed = get_settings().home / CATALOG_FILE_NAME
    return refreshed if refreshed.is_file() else SHIPPED_CATALOG


def load_catalog() -> Catalog:
    """The catalog in use (cached until its file changes)."""
    path = catalog_path()
    stat = path.stat()
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Catalog:
    return catalog_from_bytes(Path(path).read_bytes(), source=path)


# -- OpenRouter's model list -------------------------------------------------------------------


def _per_million(value: Any) -> float | None:
    """OpenRouter gives prices as strings in USD per token; negative means 'varies'."""
    if value is None:
        return None
    try:
        per_token = float(value)
    except (TypeError, ValueError):
        return None
    if per_token < 0 or per_token != per_token:
        return None
    return round(per_token * 1_000_000, 6)


def parse_openrouter_models(payload: Mapping[str, Any]) -> list[ModelEntry]:
    """Catalog entries from OpenRouter's ``GET /models`` JSON.

    Entries without an id or without a usable prompt/completion price are skipped: a model
    whose price is unknown cannot be estimated.
    """
    entries: list[ModelEntry] = []
    for item in payload.get("data") or []:
        if not isinstance(item, Mapping) or not item.get("id"):
            continue
        pricing = item.get("pricing") or {}
        prompt = _per_million(pricing.get("prompt"))
        completion = _per_million(pricing.get("completion"))
        if prompt is None or completion is None:
            continue
        context = item.get("context_length")
        entries.append(
            ModelEntry(
                id=f"openrouter/{item['id']}",
                provider="openrouter",
                name=str(item["id"]),
                display_name=item.get("name"),
                input_price_per_m=prompt,
                output_price_per_m=completion,
                context_length=int(context) if isinstance(context, int | float) else None,
            )
        )
    return entries


def refreshed_catalog_data(
    fresh: Sequence[ModelEntry], base: Catalog | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A catalog file's content: fresh OpenRouter prices, the base catalog's tiers.

    Returns the data and the model ids dropped from tiers because OpenRouter no longer lists
    them. Simulated (mockllm) models are kept from the base catalog.
    """
    base = base or catalog_from_bytes(SHIPPED_CATALOG.read_bytes(), str(SHIPPED_CATALOG))
    by_id = {entry.id: entry for entry in fresh}
    kept = [m for m in base.models.values() if m.provider != "openrouter"]
    models = [*kept, *by_id.values()]
    known = {m.id for m in models}
    dropped = sorted({i for ids in base.tiers.values() for i in ids if i not in known})
    tiers = {name: [i for i in ids if i in known] for name, ids in base.tiers.items()}
    data = {
        "snapshot_date": datetime.now(UTC).date().isoformat(),
        "source": "https://openrouter.ai/api/v1/models (map-elite models refresh)",
        "note": "Prices change; `map-elite models refresh` updates this file.",
        "models": [_entry_data(m) for m in models],
        "tiers": tiers,
    }
    return data, dropped


def _entry_data(entry: ModelEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "name": entry.display_name or entry.name,
        "input_price_per_m": entry.input_price_per_m,
        "output_price_per_m": entry.output_price_per_m,
        "context_length": entry.context_length,
    }
    if entry.skill is not None:
        data["skill"] = entry.skill
    if entry.simulated:
        data["simulated"] = True
    return data


def write_catalog(data: Mapping[str, Any], path: Path) -> Path:
    """Write a catalog file atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
