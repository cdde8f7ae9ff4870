"""The messages for one item, by the agent's role in a swarm.

- single/worker: the item's prompt as is.
- aggregator: the prompt plus the previous stage's DISTINCT answers with vote counts. The prompt
  stays bounded however wide that stage was: at most `MAX_DISTINCT` answers, each truncated.
- consumer: the prompt plus the one upstream answer, to critique and improve.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from mapelite.harnesses.base import Harness, Item
from mapelite.providers.base import ChatMessage
from mapelite.schemas import Role
from mapelite.swarm.plan import UPSTREAM_ANSWER_CAP

MAX_DISTINCT = UPSTREAM_ANSWER_CAP
MAX_ANSWER_CHARS = 1500


def truncate(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + " […truncated]"


def distinct_with_votes(answers: Sequence[str]) -> list[tuple[str, int]]:
    """Distinct answers (whitespace-trimmed), most votes first; ties keep first-seen order."""
    counts = Counter(a.strip() for a in answers if a.strip())
    return counts.most_common()


def aggregator_prompt(item: Item, upstream: Sequence[str]) -> str:
    ranked = distinct_with_votes(upstream)
    shown = ranked[:MAX_DISTINCT]
    lines = [
        item.prompt,
        "",
        f"{len(upstream)} agents answered this task; their distinct answers, with how many "
        "agents gave each:",
    ]
    for number, (answer, votes) in enumerate(shown, start=1):
        lines.append(f"--- answer {number} ({votes} vote{'s' if votes != 1 else ''}) ---")
        lines.append(truncate(answer))
    if len(ranked) > len(shown):
        rest = sum(votes for _, votes in ranked[len(shown) :])
        lines.append(f"(+{len(ranked) - len(shown)} rarer answers with {rest} votes not shown)")
    lines += [
        "",
        "Give the single best final answer to the task, in exactly the format the task asks for. "
        "Reply with the answer only.",
    ]
    return "\n".join(lines)


def consumer_prompt(item: Item, upstream: Sequence[str]) -> str:
    previous = next((a for a in upstream if a.strip()), "")
    return "\n".join(
        [
            item.prompt,
            "",
            "Another agent answered this task:",
            "--- previous answer ---",
            truncate(previous),
            "---",
            "",
            "Check that answer against the task, fix any mistake, and reply with the improved "
            "final answer only, in exactly the format the task asks for.",
        ]
    )


def build_messages(
    harness: Harness, item: Item, role: Role, upstream: Sequence[str] = ()
) -> tuple[ChatMessage, ...]:
    if role == "aggregator" and upstream:
        user = aggregator_prompt(item, upstream)
    elif role == "consumer" and upstream:
        user = consumer_prompt(item, upstream)
    else:
        user = item.prompt
    system = item.system or harness.system
    return (ChatMessage(role="system", content=system), ChatMessage(role="user", content=user))
