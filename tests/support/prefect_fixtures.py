"""The `prefect_api` fixture: one real Prefect API (test harness, SQLite) for the session.

Starting it costs ≈10 s, so it is shared; tests that need a clean slate use their own run ids
and limit names. `prefect_api` yields the API URL so subprocesses can be pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401 - prepares Prefect's environment before Prefect is imported

    with prefect_test_harness(server_startup_timeout=60):
        url = PREFECT_API_URL.value()
        assert url, "the Prefect test harness did not set an API URL"
        yield str(url)
