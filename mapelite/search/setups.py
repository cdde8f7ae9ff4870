"""The setups a search can choose from, their canonical names, stages and mutations.

A setup is what gets a score. Four structures:

| structure | name | stages |
| --- | --- | --- |
| single | ``mockllm/atlas@low`` | one call |
| vote | ``vote5(mockllm/atlas@low)`` | k samples of one model; the majority answer is scored |
| self-MoA | ``moa3(mockllm/atlas>mockllm/delta)`` | k samples of one model, then an aggregator |
| swarm | ``:10(mockllm/a+mockllm/b>mockllm/c)`` | a pattern (below) |

In a swarm, agent i of a wide stage runs ``workers[i mod len]``; width-1 stages run the lead.

A model inside a name is a setup (``model@setting``, `mapelite.schemas.parse_setup`). Parsing a
name and formatting it again gives the canonical name, which keys the ledger and the archive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Literal

from mapelite.errors import InvalidInputError
from mapelite.schemas import ReasoningSetting, Role, format_setup, parse_setup
from mapelite.swarm.patterns import parse_pattern
from mapelite.swarm.plan import plan_stages

Structure = Literal["single", "vote", "self-moa", "swarm"]
STRUCTURES: tuple[Structure, ...] = ("single", "vote", "self-moa", "swarm")
SEARCH_PATTERNS = (":10", ":20", ":01", ":1010")
"""Patterns a search uses: every wide stage is the first or follows a width-1 stage (so a
stage's agents read either the prompt or one answer, or a width-1 stage reads them all)."""
WIDER = {":10": ":20"}
DEEPER = {":10": ":1010"}


@dataclass(frozen=True, order=True)
class Agent:
    """One model at one reasoning setting."""

    model: str
    reasoning: str | None = None

    @classmethod
    def parse(cls, text: str) -> Agent:
        try:
            model, setting = parse_setup(text.strip())
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        return cls(model, None if setting is None else str(setting))

    @property
    def setting(self) -> ReasoningSetting | None:
        return None if self.reasoning is None else ReasoningSetting.parse(self.reasoning)

    def __str__(self) -> str:
        return format_setup(self.model, self.reasoning)


@dataclass(frozen=True)
class StageAgent:
    agent: Agent
    role: Role
    reads: tuple[int, ...]
    """Agents of the previous stage whose answers it is shown."""


@dataclass(frozen=True, order=True)
class Setup:
    structure: Structure
    workers: tuple[Agent, ...]
    lead: Agent | None = None
    k: int = 1
    pattern: str | None = None

    @cached_property
    def name(self) -> str:
        first = self.workers[0]
        if self.structure == "single":
            return str(first)
        if self.structure == "vote":
            return f"vote{self.k}({first})"
        if self.structure == "self-moa":
            return f"moa{self.k}({first}>{self.lead})"
        return f"{self.pattern}({'+'.join(str(w) for w in self.workers)}>{self.lead})"

    @property
    def digest(self) -> str:
        """A short stable id of the name (unit keys stay short whatever the name)."""
        return hashlib.sha256(self.name.encode()).hexdigest()[:12]

    def __str__(self) -> str:
        return self.name

    @property
    def models(self) -> list[str]:
        agents = [*self.workers, *([self.lead] if self.lead else [])]
        return list(dict.fromkeys(a.model for a in agents))

    def stages(self) -> list[list[StageAgent]]:
        """The setup's calls per item, stage by stage."""
        return _stages(self)

    def _build_stages(self) -> list[list[StageAgent]]:
        first = self.workers[0]
        if self.structure == "single":
            return [[StageAgent(first, "single", ())]]
        if self.structure in ("vote", "self-moa"):
            stage = [StageAgent(first, "worker", ()) for _ in range(self.k)]
            if self.structure == "vote":
                return [stage]
            assert self.lead is not None
            return [stage, [StageAgent(self.lead, "aggregator", tuple(range(self.k)))]]
        assert self.pattern is not None and self.lead is not None
        names = [str(w) for w in self.workers]
        plans = plan_stages(parse_pattern(self.pattern).stages, names, str(self.lead))
        return [
            [StageAgent(Agent.parse(a.model), a.role, a.upstream_agents) for a in plan.agents]
            for plan in plans
        ]

    @property
    def calls_per_item(self) -> int:
        return sum(len(stage) for stage in self.stages())


@lru_cache(maxsize=4096)
def _stages(setup: Setup) -> list[list[StageAgent]]:
    return setup._build_stages()


def single(agent: Agent) -> Setup:
    return Setup("single", (agent,))


def vote(agent: Agent, k: int) -> Setup:
    return Setup("vote", (agent,), k=k)


def self_moa(agent: Agent, k: int, aggregator: Agent) -> Setup:
    return Setup("self-moa", (agent,), aggregator, k=k)


def swarm(pattern: str, workers: Sequence[Agent], lead: Agent) -> Setup:
    code = parse_pattern(pattern).code
    if code not in SEARCH_PATTERNS:
        raise InvalidInputError(
            f"pattern {code} is not searchable; a search uses {', '.join(SEARCH_PATTERNS)}"
        )
    return Setup("swarm", tuple(workers), lead, pattern=code)


def parse_name(text: str) -> Setup:
    """A setup from its name (see the module doc); one clear line when it is not one."""
    text = text.strip()
    try:
        if not text.endswith(")"):
            return single(Agent.parse(text))
        head, _, body = text[:-1].partition("(")
        if head.startswith(("vote", "moa")):
            kind = "vote" if head.startswith("vote") else "moa"
            k = int(head.removeprefix(kind))
            if not 2 <= k <= 64:
                raise ValueError("k must be 2 to 64")
            if kind == "vote":
                return vote(Agent.parse(body), k)
            inner, _, lead = body.partition(">")
            return self_moa(Agent.parse(inner), k, Agent.parse(lead))
        workers, _, lead = body.partition(">")
        pattern = parse_pattern(head)
        return swarm(pattern.code, [Agent.parse(w) for w in workers.split("+")], Agent.parse(lead))
    except (ValueError, InvalidInputError) as exc:
        raise InvalidInputError(
            f"invalid setup {text!r} ({exc}); e.g. mockllm/atlas@low, vote5(mockllm/atlas), "
            "moa3(mockllm/atlas>mockllm/delta), :10(mockllm/atlas+mockllm/birch>mockllm/delta)"
        ) from None


@dataclass(frozen=True)
class SetupSpace:
    """The setups of a search: built from a pool of models and the knobs below."""

    models: tuple[str, ...]
    settings: tuple[str | None, ...] = (None, "low", "high")
    vote_ks: tuple[int, ...] = (3, 5)
    moa_ks: tuple[int, ...] = (3,)
    patterns: tuple[str, ...] = SEARCH_PATTERNS
    structures: tuple[Structure, ...] = STRUCTURES

    def agents(self) -> list[Agent]:
        return [Agent(m, s) for m in self.models for s in self.settings]

    def setups(self) -> list[Setup]:
        """Every setup of the space, in a fixed order: singles, votes and self-MoA (the model
        aggregating its own answers) of every model at every setting; each pattern with the
        whole pool as workers and each model as lead."""
        plain = [Agent(m) for m in self.models]
        found: list[Setup] = []
        if "single" in self.structures:
            found += [single(a) for a in self.agents()]
        if "vote" in self.structures:
            found += [vote(a, k) for a in self.agents() for k in self.vote_ks]
        if "self-moa" in self.structures:
            found += [self_moa(a, k, a) for a in self.agents() for k in self.moa_ks]
        if "swarm" in self.structures:
            found += [swarm(p, plain, lead) for p in self.patterns for lead in plain]
        return found

    def mutations(self, setup: Setup) -> list[Setup]:
        """The setups one step away: swap the model in one position, change a reasoning
        setting, widen or deepen the pattern, change the aggregator (lead)."""
        out: list[Setup] = []
        agents = self.agents()
        for position, worker in enumerate(setup.workers):
            for other in agents:
                if other != worker:
                    workers = list(setup.workers)
                    workers[position] = other
                    out.append(replace(setup, workers=tuple(workers)))
        if setup.lead is not None:
            out += [replace(setup, lead=a) for a in agents if a != setup.lead]
        if setup.pattern in WIDER:
            out.append(replace(setup, pattern=WIDER[setup.pattern]))
        if setup.pattern in DEEPER:
            out.append(replace(setup, pattern=DEEPER[setup.pattern]))
        if setup.structure == "vote":
            out += [replace(setup, k=k) for k in self.vote_ks if k != setup.k]
        return list(dict.fromkeys(s for s in out if s != setup and _allowed(s)))


def _allowed(setup: Setup) -> bool:
    # A swarm's workers keep distinct positions; the same model twice is allowed (Self-MoA).
    return len(setup.workers) <= 8
