"""A run's errors grouped by cause, with counts and the fix, for the end-of-run report:

    HTTP 401 from openrouter × 10 harness runs (60 items): check OPENROUTER_API_KEY

Errors are read from what the ledger holds: each item's ``error`` (the `ProviderError`'s
``describe()`` line: class name, then message) and, for a run that failed before any item,
the run's ``metadata.error``. A harness run counts once per distinct cause among its items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mapelite.config.settings import Settings, get_settings
from mapelite.errors import EXIT_COMPLETED_WITH_ERRORS, EXIT_OK
from mapelite.ledger.outcomes import has_errors
from mapelite.providers.preflight import endpoint_of
from mapelite.schemas import HarnessResult, split_model_id

_STATUS = re.compile(r"\bHTTP (\d{3})\b")
_CLASS = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Raised)): ")


@dataclass(frozen=True)
class ErrorCause:
    """What went wrong, as a key to group by: the error class, the HTTP status and the
    provider."""

    kind: str
    status: int | None
    provider: str
    paced: bool = False
    """The model has a request-rate limit (an OpenRouter ``:free`` model, or a configured
    ``rate_limit``): a 429 there is about the request rate, not the concurrency."""


@dataclass(frozen=True)
class ErrorGroup:
    cause: str  # "HTTP 401 from openrouter"
    fix: str  # "check MAPELITE_OPENROUTER_API_KEY (or OPENROUTER_API_KEY)"
    runs: int  # harness runs with this cause
    items: int  # items that failed with it
    example: str  # one error line as recorded

    def line(self) -> str:
        items = f" ({self.items} item{'' if self.items == 1 else 's'})" if self.items else ""
        runs = "harness run" if self.runs == 1 else "harness runs"
        return f"{self.cause} × {self.runs} {runs}{items}: {self.fix}"


def cause_of(error: str, provider: str, *, paced: bool = False) -> ErrorCause:
    """The cause of one recorded error line (``paced``: the model has a request-rate limit)."""
    kind_match = _CLASS.match(error)
    kind = kind_match.group(1) if kind_match else "Error"
    status_match = _STATUS.search(error)
    status = int(status_match.group(1)) if status_match else None
    return ErrorCause(kind, status, provider, paced=paced and kind == "RateLimitedError")


def is_paced(model: str, settings: Settings) -> bool:
    """Whether ``model`` is limited by a request rate: an OpenRouter ``:free`` model (20
    requests a minute, account-wide) or one with a ``rate_limit`` in the config file."""
    provider = split_model_id(model)[0]
    config = settings.model_settings(model)
    endpoint = settings.endpoints.get(provider)
    return (
        (provider == "openrouter" and model.endswith(":free"))
        or (config is not None and config.rate_limit is not None)
        or (endpoint is not None and endpoint.rate_limit is not None)
    )


def describe_cause(cause: ErrorCause, settings: Settings) -> tuple[str, str]:
    """(what happened, how to fix it) for a cause, naming the setting where there is one."""
    endpoint = endpoint_of(cause.provider, settings)
    who = cause.provider
    url_fix = f"set {endpoint.url_setting}" if endpoint.url_setting else "check the endpoint"
    resume = "resume with the same --run-id"
    http = f"HTTP {cause.status} from {who}" if cause.status is not None else None
    match cause.kind:
        case "AuthError":
            key = f"check {endpoint.key_setting}" if endpoint.key_setting else "check its access"
            return http or f"refused credentials at {who}", key
        case "OutOfCreditsError":
            return http or f"no credits at {who}", f"add credits at {who}, then {resume}"
        case "RateLimitedError" if cause.paced:
            return (
                http or f"rate limit at {who}",
                f"{who} limits requests per minute (OpenRouter's :free models: 20 a minute, "
                'account-wide); a concurrency limit does not bound that: set [models."<id>"] '
                "rate_limit = {requests = N, window_s = S} in mapelite.toml below the "
                f"server's limit, or wait, then {resume}",
            )
        case "RateLimitedError":
            return (
                http or f"rate limit at {who}",
                f"lower MAPELITE_PROVIDER_LIMITS for {who} or wait, then {resume}",
            )
        case "ProviderTimeoutError":
            what = http or f"timeout from {who}"
            return what, f"raise --timeout or wait for {who} to recover, then {resume}"
        case "ProviderUnavailableError":
            if http is not None:
                return http, f"{who} is failing; {resume} later"
            remedy = "check the network" if who == "openrouter" else "start the server"
            return f"{who} unreachable", f"{url_fix} or {remedy}, then {resume}"
        case "BadResponseError":
            return http or f"malformed answers from {who}", f"check {who}'s model or {url_fix}"
        case _:
            return http or f"{cause.kind} with {who}", f"{resume} (the error was not the model's)"


def group_errors(
    results: Iterable[HarnessResult], settings: Settings | None = None
) -> list[ErrorGroup]:
    """The errors of ``results`` grouped by cause, most harness runs first."""
    settings = settings or get_settings()
    runs: dict[ErrorCause, int] = {}
    items: dict[ErrorCause, int] = {}
    examples: dict[ErrorCause, str] = {}
    for result in results:
        if not has_errors(result):
            continue
        provider = split_model_id(result.model)[0]
        paced = is_paced(result.model, settings)
        errors = [item.error for item in result.metadata.items if item.error is not None]
        causes: set[ErrorCause] = set()
        for error in errors:
            cause = cause_of(error, provider, paced=paced)
            items[cause] = items.get(cause, 0) + 1
            examples.setdefault(cause, error)
            causes.add(cause)
        if not errors and result.metadata.error is not None:
            cause = cause_of(result.metadata.error, provider, paced=paced)
            examples.setdefault(cause, result.metadata.error)
            items.setdefault(cause, 0)
            causes.add(cause)
        for cause in causes:
            runs[cause] = runs.get(cause, 0) + 1
    groups = []
    for cause, count in runs.items():
        what, fix = describe_cause(cause, settings)
        groups.append(ErrorGroup(what, fix, count, items.get(cause, 0), examples[cause]))
    return sorted(groups, key=lambda g: (-g.runs, -g.items, g.cause))


def error_report_lines(
    results: Iterable[HarnessResult], settings: Settings | None = None
) -> list[str]:
    """One line per cause, for the command line to print before the resume line."""
    return [group.line() for group in group_errors(results, settings)]


def run_error_groups(
    ledger_path: Path, run_id: str, settings: Settings | None = None
) -> list[ErrorGroup]:
    """The error groups of a run as the ledger holds it now: the latest entry of each unit, so
    errors a resume has since superseded are not counted."""
    from mapelite.ledger.chain import Ledger

    return group_errors(Ledger(ledger_path).results_for_run(run_id).values(), settings)


def exit_code_for(results: Iterable[HarnessResult]) -> int:
    """`EXIT_COMPLETED_WITH_ERRORS` when any harness run has an error (missing coverage), else
    `EXIT_OK`."""
    return EXIT_COMPLETED_WITH_ERRORS if any(has_errors(r) for r in results) else EXIT_OK
