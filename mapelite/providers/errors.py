"""Provider errors: one tree, each node carrying what the retry policy needs.

ProviderError
├── AuthError              401/403: not retried; check the key setting
├── OutOfCreditsError      402: not retried; add credits
├── RateLimitedError       429: retried after ``retry_after``
├── ProviderUnavailableError  5xx, connection refused: retried
├── ProviderTimeoutError   connect/read timeout, call timeout: retried
└── BadResponseError       not JSON, HTML page, no choices, empty content, error in a 200
"""

from __future__ import annotations


class ProviderError(Exception):
    retryable: bool = False

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
