"""Settings: the project config file (`mapelite.toml`), the environment settings, what
`config show` prints, and the run options every run shares (`run_options.RunOptions`). Imports
`mapelite.errors`, `mapelite.schemas` and `mapelite.stats` (fitness weights) only.
"""
