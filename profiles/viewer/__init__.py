"""`map-elite view`: one self-contained HTML file to read runs, items and swarms.

`data` turns the selected ledger entries into the embedded data (statistics from
`mapelite.stats`), `prompts` rebuilds item prompts from their banks, `swarms` says where a swarm
fixed or broke its first stage's answers, `page` writes the file: the data gzipped inside a
script tag, the page's script and styles (`assets/`) inline, nothing fetched when it opens.
Imports `mapelite` only.
"""
