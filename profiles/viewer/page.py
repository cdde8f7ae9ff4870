"""The viewer file: the selected entries' data gzipped and base64-encoded in a script tag, the
page's script and styles inline. Opening it fetches nothing: the browser unpacks the data with
its own `DecompressionStream`.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mapelite.errors import InvalidInputError
from mapelite.schemas import HarnessResult, utc_now_iso
from profiles.frame import verified_entry_count
from profiles.viewer.data import ViewerDataBuilder

MAX_ANSWERS = 250_000
"""More answers than this do not make a file a browser opens quickly; choose runs instead."""
FILE_NAME = "viewer.html"
_RUN_ID = re.compile(rb'"run_id":"([^"]*)"')
_SLOTS = ("/*VIEWER-STYLE*/", "/*VIEWER-SCRIPT*/", "VIEWER-META", "VIEWER-DATA")


@dataclass(frozen=True)
class ViewerFile:
    path: Path
    bytes: int
    runs: int
    entries: int
    answers: int
    simulated: bool


def select_entries(
    ledger_path: Path, runs: list[str] | None = None
) -> tuple[list[HarnessResult], int]:
    """The entries of ``runs`` (every entry when None), after checking the hash chain; and the
    ledger's entry count. An unknown run id is an InvalidInputError naming the latest runs."""
    total = verified_entry_count(ledger_path)
    wanted = set(runs) if runs else None
    needles = [json.dumps(r).encode() for r in wanted] if wanted else []
    lines: list[bytes] = []
    seen_runs: list[str] = []
    answers = 0
    with ledger_path.open("rb") as handle:
        for index, line in enumerate(handle):
            if index >= total:  # appended after the check: not verified, not shown
                break
            if needles and not any(n in line for n in needles):  # cheap byte filter first
                if found := _RUN_ID.search(line):
                    seen_runs.append(found[1].decode("utf-8", "replace"))
                continue
            # Counted on the bytes, nothing parsed yet: a selection too big fails fast.
            answers += line.count(b'"item_id":')
            if answers > MAX_ANSWERS:
                raise InvalidInputError(
                    f"the selection has more than {MAX_ANSWERS:,} item answers, too many for one "
                    "viewer file; choose runs with --run ID"
                )
            lines.append(line)
    chosen: list[HarnessResult] = []
    for line in lines:
        entry = HarnessResult.model_validate_json(line)
        if wanted is not None and entry.metadata.run_id not in wanted:  # the id was in an answer
            seen_runs.append(entry.metadata.run_id)
            continue
        chosen.append(entry)
    if wanted is not None:
        missing = sorted(wanted - {e.metadata.run_id for e in chosen})
        if missing:
            latest = list(dict.fromkeys(reversed(seen_runs)))[:5]
            raise InvalidInputError(
                f"no run {', '.join(missing)} in the ledger {ledger_path}; latest runs: "
                f"{', '.join(latest) or 'none'}"
            )
    return chosen, total


def _asset(name: str) -> str:
    return resources.files("profiles.viewer").joinpath("assets", name).read_text("utf-8")


def _script_json(value: Any) -> str:
    # Inside <script>, "</" would end the tag: JSON allows "<\/" for it.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render_html(data: dict[str, Any], meta: dict[str, Any]) -> str:
    """The whole page as text."""
    packed = gzip.compress(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        compresslevel=6,
        mtime=0,
    )
    page = _asset("viewer.html")
    for slot, value in zip(
        _SLOTS,
        (_asset("viewer.css"), _asset("viewer.js"), _script_json(meta),
         base64.b64encode(packed).decode("ascii")),
        strict=True,
    ):  # fmt: skip
        page = page.replace(slot, value, 1)
    return page


def write_viewer(ledger_path: Path, out: Path, runs: list[str] | None = None) -> ViewerFile:
    """Write the viewer of ``runs`` (all when None) of the ledger at ``ledger_path`` to ``out``
    (a temporary file, then renamed: a reader never sees half a file)."""
    entries, total = select_entries(ledger_path, runs)
    data = ViewerDataBuilder(entries).build()
    meta = {
        "title": "MAP-ELITE viewer",
        "generated_at": utc_now_iso(),
        "ledger": str(ledger_path),
        "ledger_entries": total,
        "selection": "runs " + ", ".join(runs) if runs else "all runs",
        "runs": len(data["runs"]),
        "entries": len(entries),
        "answers": len(data["items"]["entry"]),
        "simulated": data["simulated"],
    }
    text = render_html(data, meta)
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=".viewer-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return ViewerFile(
        path=out,
        bytes=out.stat().st_size,
        runs=meta["runs"],
        entries=meta["entries"],
        answers=meta["answers"],
        simulated=meta["simulated"],
    )
