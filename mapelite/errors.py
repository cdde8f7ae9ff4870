"""User-facing errors of MAP-ELITE.

Every error a user can cause (bad pattern, unknown tier, missing key, corrupt ledger) is a
`MapEliteError`; the CLI prints its message as one line and exits with its `exit_code`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

# Exit codes of every command: the one place they are decided (cli/app.py maps errors onto
# them; README, "Exit codes", has the same table).
EXIT_OK = 0
"""Done: every harness run scored in full."""
EXIT_LEDGER = 1
"""The ledger is missing, corrupt (the line is named) or cannot be written."""
EXIT_ESTIMATE_NOT_ACCEPTED = 1
"""The cost estimate is above MAPELITE_WARN_USD and was neither accepted with --yes nor
confirmed at the terminal: nothing was run. The same code for every command that spends."""
EXIT_INPUT = 2
"""Invalid input or setting (pattern, tier, harness, a settings/catalog/config field)."""
EXIT_BUDGET = 3
"""The hard budget stopped the run."""
EXIT_PROVIDER = 4
"""A provider is unreachable or refused its key (the preflight, or a command that calls it)."""
EXIT_COMPLETED_WITH_ERRORS = 5
"""The run finished but some harness runs ended in errors: they are missing coverage and a
resume with the same run id runs them again."""
EXIT_INTERRUPTED = 128 + 2
"""Ctrl-C (SIGINT); the line on stderr names the run id to resume with."""
EXIT_TERMINATED = 128 + 15
"""SIGTERM; the same resume line."""


class MapEliteError(Exception):
    """An error whose message is fit to show to the user as one line."""

    exit_code: int = EXIT_INPUT

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

    exit_code = EXIT_LEDGER


class BudgetExceededError(MapEliteError):
    """The run's actual spend reached the hard budget; no new calls were scheduled."""

    exit_code = EXIT_BUDGET


class LedgerCorruptError(LedgerError):
    """The ledger does not verify: nothing may be appended to it. Names the first bad line."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


def one_line(text: str) -> str:
    """``text`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def validation_line(exc: ValidationError, where: str = "") -> str:
    """The first problem of a pydantic validation error as one line: ``where.field: message``
    (pydantic's own text spans several lines and links to its docs)."""
    errors = exc.errors()
    if not errors:
        return one_line(str(exc))
    first = errors[0]
    loc = ".".join(str(part) for part in first.get("loc", ()))
    field = ".".join(part for part in (where, loc) if part)
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return one_line(f"{field}: {message}{more}" if field else f"{message}{more}")
