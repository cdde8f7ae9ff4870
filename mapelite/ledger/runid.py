"""Run ids: the one format every command, flow and runner uses."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_run_id() -> str:
    """Sortable by start time and unique enough: ``20250101-120000-1a2b3c``."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
