"""The hard budget of one run id, checked before each unit starts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Budget:
    """Stops scheduling new units once the actual spend (including units of this run id
    recorded before a resume) reaches ``limit_usd``."""

    limit_usd: float
    spent_usd: float = 0.0
    skipped: int = 0
    stopped_reason: str | None = None

    def allows_more(self) -> bool:
        if self.spent_usd > 0 and self.spent_usd >= self.limit_usd:
            self.skipped += 1
            self.stopped_reason = (
                f"budget reached: spent ${self.spent_usd:.4f} of ${self.limit_usd:.4f} "
                "(--budget / MAPELITE_BUDGET_USD); later harness runs were not scheduled"
            )
            return False
        return True

    def add(self, cost_usd: float) -> None:
        self.spent_usd += cost_usd
