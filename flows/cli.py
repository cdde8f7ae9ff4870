"""Entry point of ``map-elite``: the core commands plus those of the upper layers."""

from __future__ import annotations

import sys

from mapelite.cli import app, run_app


def build_app() -> object:
    return app


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_app(app, argv))


if __name__ == "__main__":
    main()
