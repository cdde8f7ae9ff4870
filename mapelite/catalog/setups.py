"""Which setups a command runs: a tier or a list of model ids (each possibly ``model@setting``),
resolved to canonical, explicit setups (DESIGN.md "Setups and real-model behaviour").
"""

from __future__ import annotations

from collections.abc import Sequence

from mapelite.catalog.models import Catalog
from mapelite.errors import InvalidInputError, one_line
from mapelite.providers.reasoning import effective_reasoning
from mapelite.schemas import ReasoningSetting, format_setup, parse_setup


def select_models(
    catalog: Catalog,
    *,
    tier: str | None = None,
    models: str | Sequence[str] | None = None,
    reasoning: ReasoningSetting | str | None = None,
) -> tuple[str, list[str]]:
    """(label, setups) from ``--tier NAME`` or ``--models a,b,c`` (exactly one of them).

    Every model must be usable: known to the catalog, a local server's or an endpoint's. An
    empty tier or list is an InvalidInputError before anything else runs. The label names the
    selection in results: the tier, or ``models`` for a list. Each id comes back as the setup
    it runs (`resolve_setup`); two ids naming one setup are refused."""
    if tier is not None and models is not None:
        raise InvalidInputError("give either --tier or --models, not both")
    if models is not None:
        ids = [m.strip() for m in models.split(",")] if isinstance(models, str) else list(models)
        ids = [m for m in ids if m]
        if not ids:
            raise InvalidInputError(
                "--models lists no model; expected model ids separated by commas, e.g. "
                "--models ollama/llama3.2:1b,openrouter/openai/gpt-5-nano"
            )
        label, what = "models", "--models"
    else:
        if tier is None:
            raise InvalidInputError("choose models with --tier NAME or --models a,b,c")
        ids = catalog.tier(tier)
        if not ids:
            # Running it would do nothing and look like success ("0/0 harness runs", exit 0).
            raise InvalidInputError(
                f"tier {tier!r} has no models (the last `map-elite models refresh` found none "
                "in its price band); choose another tier or list models with --models"
            )
        label, what = tier, f"tier {tier}"
    setups = [resolve_setup(catalog, model_id, reasoning) for model_id in ids]
    duplicates = sorted({s for s in setups if setups.count(s) > 1})
    if duplicates:
        raise InvalidInputError(f"{what} lists {', '.join(duplicates)} more than once")
    return label, setups


def resolve_setup(
    catalog: Catalog, text: str, reasoning: ReasoningSetting | str | None = None
) -> str:
    """The setup ``text`` runs, canonical (`format_setup`) and explicit: its own ``@setting``
    first, then ``reasoning`` (a command's ``--reasoning``, for a model that reasons: one that
    does not has nothing to set), then the config file's ``reasoning`` for the model, then the
    default for evaluation when the model reasons
    (`mapelite.providers.reasoning.effective_reasoning`); a model that does not reason and has
    no setting stays a plain id. So ``m`` and ``m@low`` name one setup when low is what ``m``
    runs at. The model must be usable (`Catalog.get`); a bad setting is an InvalidInputError."""
    try:
        model, own = parse_setup(text)
        if isinstance(reasoning, str):
            reasoning = ReasoningSetting.parse(reasoning)
        entry = catalog.get(model)
        configured = ReasoningSetting.parse(entry.reasoning) if entry.reasoning else None
        explicit = own or (reasoning if entry.reasons else None) or configured
    except ValueError as exc:
        raise InvalidInputError(one_line(str(exc))) from None
    return format_setup(model, effective_reasoning(model, explicit, None, catalog))
