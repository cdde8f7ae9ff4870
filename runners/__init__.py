"""Runners: what executes harness runs (in-process, Temporal workers, NATS workers).

`create_runner` imports the Temporal and NATS SDKs only when they are asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runners.base import HarnessRunner

if TYPE_CHECKING:  # settings stay out of the import: the Temporal workflow sandbox imports us
    from mapelite.config.settings import Settings

RUNNER_NAMES = ("local", "temporal", "nats")

__all__ = ["RUNNER_NAMES", "HarnessRunner", "check_reachable", "create_runner"]


def check_reachable(name: str, settings: Settings) -> None:
    """Raise a one-line ConfigError, within ``settings.connect_timeout_s``, when the runner's
    server does not accept connections (checked before any flow starts or writes anything)."""
    from runners._remote import probe_tcp

    if name == "temporal":
        probe_tcp(
            settings.temporal_address,
            7233,
            setting="MAPELITE_TEMPORAL_ADDRESS",
            what="Temporal",
            timeout_s=settings.connect_timeout_s,
        )
    elif name == "nats":
        probe_tcp(
            settings.nats_url,
            4222,
            setting="MAPELITE_NATS_URL",
            what="NATS",
            timeout_s=settings.connect_timeout_s,
        )


def create_runner(name: str, settings: Settings | None = None) -> HarnessRunner:
    """The runner called ``name`` ("local" | "temporal" | "nats") with the server addresses
    from ``settings``. Remote runners check that their server is reachable right away."""
    from mapelite.config.settings import get_settings
    from mapelite.errors import ConfigError, InvalidInputError

    settings = settings or get_settings()
    if name == "local":
        from runners.local import LocalHarnessRunner

        return LocalHarnessRunner(settings)
    if name not in RUNNER_NAMES:
        raise InvalidInputError(f"unknown runner {name!r}; choose one of {', '.join(RUNNER_NAMES)}")
    check_reachable(name, settings)
    if name == "temporal":
        try:
            from runners.temporal import TemporalHarnessRunner
        except ImportError as exc:  # pragma: no cover - temporalio is a declared dependency
            raise ConfigError(f"the temporal runner needs temporalio installed ({exc})") from None
        return TemporalHarnessRunner(settings)
    try:
        from runners.nats import NatsHarnessRunner
    except ImportError as exc:  # pragma: no cover - nats-py is a declared dependency
        raise ConfigError(f"the nats runner needs nats-py installed ({exc})") from None
    return NatsHarnessRunner(settings)
