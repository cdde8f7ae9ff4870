"""Settings: the project config file (`mapelite.toml`), the environment settings and what
`config show` prints. Imports `mapelite.errors`, `mapelite.stats` (fitness weights) only.
"""
