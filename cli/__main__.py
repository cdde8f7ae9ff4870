"""``python -m cli ...``: the same as ``map-elite ...``."""

from cli.main import main

main()
