"""The one constructor of a ledger entry for an agent's harness run, whichever runner made it
(local, a remote worker, or a task that records a failure)."""

from __future__ import annotations

from typing import Any

from mapelite.catalog.models import Catalog, load_catalog
from mapelite.schemas import (
    HARNESS_NAMES,
    LEDGER_FORMAT_VERSION,
    AgentContext,
    HarnessResult,
    ResultMetadata,
    RunnerName,
    Scores,
)


def agent_result(
    harness_id: int,
    model: str,
    context: AgentContext | None,
    *,
    runner: RunnerName,
    raw: float = 0.0,
    normalized: float = 0.0,
    timestamp: str | None = None,
    catalog: Catalog | None = None,
    **measures: Any,
) -> HarnessResult:
    """A `HarnessResult` at the place ``context`` names in its run (a unit without one is
    recorded under ``<runner>-unassigned``), simulated as the catalog says, with the run's
    ``measures`` (items, latency, tokens, cost, attempts, error, seed... as `ResultMetadata`
    names them). Score 0 unless given: a failed run is still an entry. A setup
    (``model@setting``) is recorded as its model with ``metadata.reasoning``."""
    catalog = catalog if catalog is not None else load_catalog()
    model, sep, setting = model.rpartition("@") if "@" in model else (model, "", "")
    if sep and measures.get("reasoning") is None:
        measures["reasoning"] = setting
    where: dict[str, Any] = {"run_id": f"{runner}-unassigned"}
    if context is not None:
        where = {
            "run_id": context.run_id,
            "unit_key": context.unit_key,
            "pattern": context.pattern,
            "stage": context.stage,
            "agent": context.agent,
            "role": context.role,
            "upstream": list(context.upstream),
        }
    metadata = ResultMetadata(
        **where, runner=runner, simulated=catalog.is_simulated(model), **measures
    )
    stamped = {"timestamp": timestamp} if timestamp is not None else {}
    return HarnessResult(
        version=LEDGER_FORMAT_VERSION,
        harness_id=harness_id,
        harness_name=HARNESS_NAMES[harness_id],
        model=model,
        scores=Scores(raw=raw, normalized=normalized),
        metadata=metadata,
        **stamped,
    )
