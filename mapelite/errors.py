"""User-facing errors of MAP-ELITE.

Every error a user can cause (bad pattern, unknown tier, missing key, corrupt ledger) is a
`MapEliteError`; the CLI prints its message as one line and exits with its `exit_code`.
"""

from __future__ import annotations


class MapEliteError(Exception):
    """An error whose message is fit to show to the user as one line."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(MapEliteError):
    """A setting is missing or invalid (e.g. no API key for the chosen provider)."""


class InvalidInputError(MapEliteError):
    """A command-line argument or request is invalid (pattern, tier, harness id...)."""


class LedgerError(MapEliteError):
    """The ledger is missing, corrupt or cannot be written."""

    exit_code = 1


class BudgetExceededError(MapEliteError):
    """The run's actual spend reached the hard budget; no new calls were scheduled."""

    exit_code = 3
