"""``map-elite models refresh``: OpenRouter's model list into a catalog file, tiers kept right.

What a refresh does with each model of OpenRouter's ``GET /models``:
- only chat models are kept: text in and text out (``architecture.input_modalities`` and
  ``output_modalities``; embeddings, image generators and audio-only models are left out);
- a ``:free`` variant is kept, marked free with OpenRouter's free-model rate limit, and never
  put in a price tier;
- a model priced ``"-1"`` (a router such as ``openrouter/auto``: the price depends on the model
  it picks) is kept as variable-price and never put in a tier;
- the price tiers ``tier1``-``tier3`` are recomputed from the price bands (DESIGN.md glossary)
  over the chat models with a fixed, non-zero price; a model already in a tier keeps its place,
  new ones follow by price. Curated tiers (``best8``) keep their models that are still listed
  and still fixed-price chat models; simulated models and their ``demo`` tier are kept.
Config-file tiers live in ``mapelite.toml``, not in the catalog file: a refresh never sees them.
The `RefreshSummary` says what changed: added, removed, repriced, moved tier, emptied tiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from mapelite.catalog.models import Catalog, ModelEntry, entry_data
from mapelite.errors import ConfigError

if TYPE_CHECKING:
    from mapelite.config.settings import Settings

PRICE_BANDS: dict[str, tuple[float, float]] = {
    "tier1": (0.0, 0.05),
    "tier2": (0.06, 0.15),
    "tier3": (0.20, 0.50),
}
"""USD per million input tokens, inclusive; tier1 excludes 0 (a free model is not a tier)."""
FREE_RATE_LIMIT = "20 requests/min, 50/day (1000/day with $10 of credits), account-wide"
"""OpenRouter's documented limit on ``:free`` variants (docs: Model Variants, Free)."""


class ParsedModels(BaseModel):
    """What a ``/models`` payload held: chat models kept, others named."""

    models: list[ModelEntry] = Field(default_factory=list)
    non_chat: list[str] = Field(default_factory=list, description="left out: not text->text")
    unpriced: list[str] = Field(default_factory=list, description="left out: no usable price")


class Repriced(BaseModel):
    model: str
    input_before: float
    input_after: float
    output_before: float
    output_after: float


class TierMove(BaseModel):
    model: str
    before: str | None
    after: str | None


class RefreshSummary(BaseModel):
    """What a refresh changed, for the user and for ``--json``."""

    models: int = 0
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    repriced: list[Repriced] = Field(default_factory=list)
    moved: list[TierMove] = Field(default_factory=list)
    free: list[str] = Field(default_factory=list)
    variable_price: list[str] = Field(default_factory=list)
    non_chat: list[str] = Field(default_factory=list)
    unpriced: list[str] = Field(default_factory=list)
    tier_sizes: dict[str, int] = Field(default_factory=dict)
    emptied_tiers: list[str] = Field(default_factory=list)
    dropped_from_tiers: list[str] = Field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"tier {name!r} is empty after this refresh: no chat model with a fixed price in "
            f"its band (${low:g}-${high:g}/M input); runs over it are refused"
            for name in self.emptied_tiers
            for low, high in [PRICE_BANDS.get(name, (0.0, 0.0))]
        ]

    def lines(self) -> list[str]:
        """The summary as short lines (the CLI prints them; warnings come separately)."""
        out = [
            f"{self.models} OpenRouter chat models: {len(self.added)} added, "
            f"{len(self.removed)} removed, {len(self.repriced)} repriced, "
            f"{len(self.moved)} moved tier",
        ]
        for model in self.added:
            out.append(f"  added     {model}")
        for model in self.removed:
            out.append(f"  removed   {model}")
        for change in self.repriced:
            out.append(
                f"  repriced  {change.model}: ${change.input_before:g} -> ${change.input_after:g}"
                f"/M in, ${change.output_before:g} -> ${change.output_after:g}/M out"
            )
        for move in self.moved:
            out.append(f"  moved     {move.model}: {move.before or '-'} -> {move.after or '-'}")
        if self.free:
            out.append(f"  free (kept out of tiers; {FREE_RATE_LIMIT}): {len(self.free)}")
        if self.variable_price:
            out.append(f"  variable price (kept out of tiers): {', '.join(self.variable_price)}")
        if self.non_chat:
            out.append(f"  not chat models, left out: {len(self.non_chat)}")
        sizes = ", ".join(f"{name} {size}" for name, size in self.tier_sizes.items())
        out.append(f"  tiers: {sizes}")
        return out


# -- parsing ----------------------------------------------------------------------------------


REASONING_PARAMETERS = frozenset({"reasoning", "include_reasoning"})
"""A model whose ``supported_parameters`` list one of these reasons before it answers."""


def _per_million(value: Any) -> float | None:
    """OpenRouter gives prices as strings in USD per token; None when unusable."""
    if value is None:
        return None
    try:
        per_token = float(value)
    except (TypeError, ValueError):
        return None
    if per_token != per_token:
        return None
    return round(per_token * 1_000_000, 6)


def is_chat_model(item: Mapping[str, Any]) -> bool:
    """Text in and text out. Without an ``architecture`` (older payloads) a model counts as
    chat; with only the ``modality`` string (``"text+image->text"``) that is read instead."""
    architecture = item.get("architecture")
    if not isinstance(architecture, Mapping):
        return True
    inputs = architecture.get("input_modalities")
    outputs = architecture.get("output_modalities")
    if isinstance(inputs, list) and isinstance(outputs, list):
        return "text" in inputs and "text" in outputs
    modality = architecture.get("modality")
    if isinstance(modality, str) and "->" in modality:
        source, _, target = modality.partition("->")
        return "text" in source.split("+") and "text" in target.split("+")
    return True


def parse_openrouter(payload: Mapping[str, Any]) -> ParsedModels:
    parsed = ParsedModels()
    for item in payload.get("data") or []:
        if not isinstance(item, Mapping) or not item.get("id"):
            continue
        model_id = f"openrouter/{item['id']}"
        if not is_chat_model(item):
            parsed.non_chat.append(model_id)
            continue
        pricing = item.get("pricing") or {}
        prompt = _per_million(pricing.get("prompt"))
        completion = _per_million(pricing.get("completion"))
        if prompt is None or completion is None:
            parsed.unpriced.append(model_id)
            continue
        variable = prompt < 0 or completion < 0
        free = str(item["id"]).endswith(":free") and not variable
        context = item.get("context_length")
        supported = item.get("supported_parameters")
        reasons = isinstance(supported, list) and bool(REASONING_PARAMETERS & set(supported))
        reasoning_price = _per_million(pricing.get("internal_reasoning"))
        parsed.models.append(
            ModelEntry(
                id=model_id,
                provider="openrouter",
                name=str(item["id"]),
                display_name=item.get("name"),
                input_price_per_m=0.0 if variable else prompt,
                output_price_per_m=0.0 if variable else completion,
                context_length=int(context) if isinstance(context, int | float) else None,
                variable_price=variable,
                free=free,
                rate_limit=FREE_RATE_LIMIT if free else None,
                reasons=reasons,
                internal_reasoning_price_per_m=reasoning_price
                if reasoning_price is not None and reasoning_price > 0 and not variable
                else None,
            )
        )
    return parsed


# -- tiers ------------------------------------------------------------------------------------


def price_tier(entry: ModelEntry) -> str | None:
    """The price tier whose band holds the model's input price; None for free, variable-price
    and simulated models and prices between bands."""
    if entry.free or entry.variable_price or entry.simulated or entry.input_price_per_m <= 0:
        return None
    for name, (low, high) in PRICE_BANDS.items():
        if low <= entry.input_price_per_m <= high:
            return name
    return None


def _tiered(entry: ModelEntry) -> bool:
    return not (entry.free or entry.variable_price) and entry.input_price_per_m > 0


def refresh_catalog(
    fresh: Sequence[ModelEntry] | ParsedModels, base: Catalog
) -> tuple[dict[str, Any], RefreshSummary]:
    """The new catalog file's content and what changed against ``base`` (the catalog file,
    without config: its tiers are not the catalog's to change)."""
    parsed = fresh if isinstance(fresh, ParsedModels) else ParsedModels(models=list(fresh))
    by_id = {entry.id: entry for entry in parsed.models}
    old_openrouter = {i: m for i, m in base.models.items() if m.provider == "openrouter"}
    kept = [m for m in base.models.values() if m.provider != "openrouter"]
    models = [*kept, *by_id.values()]
    known = {m.id: m for m in models}

    tiers: dict[str, list[str]] = {}
    for name in PRICE_BANDS:
        listed = base.tiers.get(name, [])
        before = [i for i in listed if i in known and price_tier(known[i]) == name]
        new = sorted(
            (m for m in by_id.values() if price_tier(m) == name and m.id not in before),
            key=lambda m: (m.input_price_per_m, m.id),
        )
        tiers[name] = [*before, *(m.id for m in new)]
    for name, ids in base.tiers.items():
        if name not in PRICE_BANDS:  # curated (best8) and simulated (demo) tiers
            usable = (i for i in ids if i in known)
            tiers[name] = [i for i in usable if known[i].simulated or _tiered(known[i])]

    summary = _summarise(parsed, old_openrouter, by_id, base, tiers)
    data = {
        "snapshot_date": datetime.now(UTC).date().isoformat(),
        "source": "https://openrouter.ai/api/v1/models (map-elite models refresh)",
        "note": "Prices change; `map-elite models refresh` updates this file and its price tiers.",
        "price_bands": {name: list(band) for name, band in PRICE_BANDS.items()},
        "models": [entry_data(m) for m in models],
        "tiers": tiers,
    }
    return data, summary


def _tier_of(tiers: Mapping[str, Sequence[str]], model_id: str) -> str | None:
    return next((name for name in PRICE_BANDS if model_id in tiers.get(name, ())), None)


def _summarise(
    parsed: ParsedModels,
    old: Mapping[str, ModelEntry],
    new: Mapping[str, ModelEntry],
    base: Catalog,
    tiers: Mapping[str, Sequence[str]],
) -> RefreshSummary:
    repriced = [
        Repriced(
            model=i,
            input_before=old[i].input_price_per_m,
            input_after=new[i].input_price_per_m,
            output_before=old[i].output_price_per_m,
            output_after=new[i].output_price_per_m,
        )
        for i in sorted(set(old) & set(new))
        if (old[i].input_price_per_m, old[i].output_price_per_m)
        != (new[i].input_price_per_m, new[i].output_price_per_m)
    ]
    moved = []
    for model_id in sorted(set(old) | set(new)):
        before, after = _tier_of(base.tiers, model_id), _tier_of(tiers, model_id)
        if before != after and (model_id in old and model_id in new):
            moved.append(TierMove(model=model_id, before=before, after=after))
    tiered_before = {i for ids in base.tiers.values() for i in ids}
    tiered_after = {i for ids in tiers.values() for i in ids}
    return RefreshSummary(
        models=len(new),
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        repriced=repriced,
        moved=moved,
        free=sorted(i for i, m in new.items() if m.free),
        variable_price=sorted(i for i, m in new.items() if m.variable_price),
        non_chat=sorted(parsed.non_chat),
        unpriced=sorted(parsed.unpriced),
        tier_sizes={name: len(ids) for name, ids in tiers.items()},
        emptied_tiers=[n for n, ids in tiers.items() if not ids and base.tiers.get(n)],
        dropped_from_tiers=sorted(i for i in tiered_before - tiered_after if i not in new),
    )


def refresh_from_openrouter(settings: Settings) -> tuple[Path, RefreshSummary]:
    """Fetch OpenRouter's model list, refresh the catalog file in ``$MAPELITE_HOME`` and say
    what changed (``summary.warnings``: tiers the refresh emptied). A list without one priced
    chat model leaves the catalog unchanged (ConfigError)."""
    from mapelite.catalog.models import CATALOG_FILE_NAME, load_file_catalog, write_catalog
    from mapelite.providers.openrouter import fetch_models

    parsed = parse_openrouter(fetch_models(settings))
    if not parsed.models:
        raise ConfigError("OpenRouter's model list had no priced chat models; catalog unchanged")
    data, summary = refresh_catalog(parsed, load_file_catalog())
    return write_catalog(data, settings.home / CATALOG_FILE_NAME), summary
