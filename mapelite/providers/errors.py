"""Provider errors: one tree, each node carrying what the retry policy needs.

MapEliteError
└── ProviderError
├── AuthError              401/403: not retried; check the key setting
├── OutOfCreditsError      402: not retried; add credits
├── RateLimitedError       429: retried after ``retry_after``
├── ProviderUnavailableError  5xx, connection refused: retried
├── ProviderTimeoutError   connect/read timeout, call timeout: retried
└── BadResponseError       not JSON, HTML page, no choices, empty content, error in a 200
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapelite.errors import EXIT_PROVIDER, MapEliteError

if TYPE_CHECKING:
    from mapelite.providers.base import GenerateResponse


class ProviderError(MapEliteError):
    """A provider call failed. It is a `MapEliteError` (one line, exit 4) wherever it reaches
    the user; inside a harness run it is recorded on the item instead (errors are not scores)."""

    retryable: bool = False
    exit_code = EXIT_PROVIDER
    billed: GenerateResponse | None = None
    """The usage of a reply that was generated (and billed) but refused, e.g. an empty answer:
    a paid attempt counts in the spend even though it gave no answer."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retry_after = retry_after

    def with_billed(self, usage: GenerateResponse) -> ProviderError:
        self.billed = usage
        return self

    def describe(self) -> str:
        """One line naming the error class, for ledger metadata and the CLI."""
        return f"{type(self).__name__}: {self}"


class AuthError(ProviderError):
    retryable = False


class OutOfCreditsError(ProviderError):
    retryable = False


class RateLimitedError(ProviderError):
    retryable = True


class ProviderUnavailableError(ProviderError):
    retryable = True


class ProviderTimeoutError(ProviderError):
    retryable = True


class BadResponseError(ProviderError):
    # A malformed body may be a transient proxy page; one more try is cheap.
    retryable = True
