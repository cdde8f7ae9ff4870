"""The body of a ModelServer reply, as OpenAI-compatible servers, OpenRouter and Ollama write it.

A plain model answers with its text. A model that reasons (`ModelScript.reasons`,
`ModelScript.thinks_in_content`) first spends reasoning tokens — as many as the requested effort
calls for, at ``default_effort`` when the request names none — and they count toward the
request's ``max_tokens``: when they use it all the reply has empty content, finish reason
``length`` and OpenAI's native reason ``max_output_tokens``, and it is billed all the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mapelite.testing.scripts import Fault, ModelScript

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body>bad gateway</body></html>"
)
THINK_FILLER = "Checking the working once more. "


class NoProviderError(Exception):
    """No upstream provider of the model meets the request's routing."""


@dataclass(frozen=True)
class Reply:
    content: str
    thinking: str | None  # the reasoning field (OpenRouter) or Ollama's message.thinking
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    finish_reason: str  # stop | length
    cost_usd: float | None
    served_by: str | None


def tokens(text: str) -> int:
    """The server's token count: 4 characters a token."""
    return len(text) // 4


def requested_reasoning(
    script: ModelScript, body: dict[str, Any], *, ollama: bool
) -> tuple[int, int | None]:
    """(reasoning tokens the request's effort calls for, the request's reasoning token cap if
    it gives one); 0 tokens: reasoning off."""
    table = script.reasoning_tokens
    default = table.get(script.default_effort, 0)
    if ollama:
        think = body.get("think")
        if think is False:
            return 0, None
        return (table.get(think, default) if isinstance(think, str) else default), None
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict):
        if reasoning.get("enabled") is False or reasoning.get("effort") == "none":
            return 0, None
        budget = reasoning.get("max_tokens")
        if isinstance(budget, int) and budget > 0:
            # A budget model thinks up to its budget (as long as the task calls for).
            return table.get("high", budget), budget
        effort = reasoning.get("effort")
        return (table.get(effort, default) if isinstance(effort, str) else default), None
    effort = body.get("reasoning_effort")
    if effort == "none":
        return 0, None
    return (table.get(effort, default) if isinstance(effort, str) else default), None


def _jitter(tokens_wanted: int, key: str) -> int:
    """±25%, the same for the same prompt."""
    spread = int(hashlib.sha256(key.encode()).hexdigest()[:6], 16) % 1000 / 1000
    return max(1, round(tokens_wanted * (0.75 + 0.5 * spread)))


def thinking_text(spent: int, wrong: str | None) -> str:
    """About ``spent`` tokens of thinking that weigh a wrong candidate answer first."""
    start = "Let me work this out step by step."
    if wrong:
        start += f" A first guess:\n{wrong}\nThat may be wrong; checking."
    length = spent * 4
    if len(start) >= length:
        return start
    filler = THINK_FILLER * (1 + (length - len(start)) // len(THINK_FILLER))
    return (start + " " + filler)[:length]


def served_by(script: ModelScript, body: dict[str, Any], index: int) -> str | None:
    """Which of the model's providers serves the request: the routing's ``order`` first, within
    ``only`` and outside ``ignore``; else they take turns. NoProviderError if none may."""
    if not script.providers:
        return None
    routing = body.get("provider")
    routing = routing if isinstance(routing, dict) else {}
    candidates = list(script.providers)
    if isinstance(routing.get("only"), list):
        candidates = [p for p in candidates if p in routing["only"]]
    if isinstance(routing.get("ignore"), list):
        candidates = [p for p in candidates if p not in routing["ignore"]]
    order = routing.get("order")
    if isinstance(order, list):
        preferred = [p for p in order if p in candidates]
        if preferred:
            return str(preferred[0])
        if routing.get("allow_fallbacks") is False:
            raise NoProviderError
    if not candidates:
        raise NoProviderError
    return candidates[index % len(candidates)]


def compose(
    script: ModelScript,
    body: dict[str, Any],
    prompt_tokens: int,
    answer: str,
    *,
    key: str,
    index: int,
    wrong: str | None,
    ollama: bool,
) -> Reply:
    """The reply ``script`` gives ``answer`` with: reasoning first, within ``max_tokens``."""
    limit = _max_tokens(body, ollama=ollama)
    provider = served_by(script, body, index)
    wanted, cap = requested_reasoning(script, body, ollama=ollama) if script.thinks else (0, None)
    spent = _jitter(wanted, key) if wanted else 0
    if cap is not None:
        spent = min(spent, cap)
    thinking: str | None = None
    reasoning_tokens = 0
    in_content = script.thinks_in_content and not (ollama and body.get("think") is True)
    if spent and in_content:
        # The thinking is part of the content: a cut inside it leaves an open block.
        content = f"<think>\n{thinking_text(spent, wrong)}\n</think>\n\n{answer}"
        completion = tokens(content)
        finish = "stop"
        if limit is not None and completion > limit:
            content, completion, finish = content[: limit * 4], limit, "length"
    elif spent:
        thinking = thinking_text(spent, wrong)
        reasoning_tokens = spent
        content, finish = answer, "stop"
        answer_tokens = max(1, tokens(answer)) if answer else 0
        completion = spent + answer_tokens
        if limit is not None and spent >= limit:
            content, completion, reasoning_tokens, finish = "", limit, limit, "length"
            thinking = thinking[: limit * 4]
        elif limit is not None and completion > limit:
            content, completion, finish = answer[: (limit - spent) * 4], limit, "length"
    else:
        content, finish = answer, "stop"
        completion = max(1, tokens(answer)) if answer else 0
    return Reply(
        content=content,
        thinking=thinking,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion,
        reasoning_tokens=reasoning_tokens,
        finish_reason=finish,
        cost_usd=_cost(script, prompt_tokens, completion, reasoning_tokens),
        served_by=provider,
    )


def _max_tokens(body: dict[str, Any], *, ollama: bool) -> int | None:
    if ollama:
        options = body.get("options")
        value = options.get("num_predict") if isinstance(options, dict) else None
    else:
        value = body.get("max_tokens", body.get("max_completion_tokens"))
    return value if isinstance(value, int) and value > 0 else None


def _cost(script: ModelScript, prompt: int, completion: int, reasoning: int) -> float | None:
    if script.prices_per_m is None:
        return script.cost_usd
    price_in, price_out = script.prices_per_m
    price_reasoning = script.reasoning_price_per_m
    if price_reasoning is None:
        price_reasoning = price_out
    answer = completion - reasoning
    return (prompt * price_in + answer * price_out + reasoning * price_reasoning) / 1e6


def openai_body(model: str, reply: Reply, script: ModelScript, *, choices: bool) -> dict[str, Any]:
    """A chat-completions body (OpenRouter's fields where the script has them)."""
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if script.reasons:
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    if reply.cost_usd is not None:
        usage["cost"] = reply.cost_usd
        usage["cost_details"] = {"upstream_inference_cost": reply.cost_usd}
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
    if script.reasons:
        message["reasoning"] = reply.thinking
        choice["native_finish_reason"] = (
            "max_output_tokens" if reply.finish_reason == "length" else "completed"
        )
    payload: dict[str, Any] = {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [choice] if choices else [],
        "usage": usage,
    }
    if reply.served_by is not None:
        payload["provider"] = reply.served_by
    return payload


def ollama_body(model: str, reply: Reply, *, message: bool) -> dict[str, Any]:
    """An Ollama ``/api/chat`` body (``message.thinking`` when thinking was asked for)."""
    payload: dict[str, Any] = {
        "model": model,
        "created_at": "2025-01-01T00:00:00Z",
        "done": True,
        "done_reason": reply.finish_reason,
        "prompt_eval_count": reply.prompt_tokens,
        "eval_count": reply.completion_tokens,
    }
    if message:
        payload["message"] = {"role": "assistant", "content": reply.content}
        if reply.thinking is not None:
            payload["message"]["thinking"] = reply.thinking
    return payload


def fault_response(fault: Fault, *, ollama: bool) -> web.Response | None:
    """The HTTP response a fault produces, or None when the fault shapes a 200 body instead."""
    kind = fault.kind
    if kind == "rate_limit":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return web.json_response(
            {"error": {"message": "rate limit exceeded", "code": 429}}, status=429, headers=headers
        )
    if kind in ("server_error", "unavailable", "auth", "credits"):
        status = {"server_error": 500, "unavailable": 503, "auth": 401, "credits": 402}[kind]
        return web.json_response({"error": {"message": kind, "code": status}}, status=status)
    if kind == "malformed_json":
        return web.Response(text='{"choices": [{"message": ', content_type="application/json")
    if kind == "html":
        return web.Response(text=HTML_PAGE, status=fault.status, content_type="text/html")
    if kind == "error_object":
        if ollama:
            return web.json_response({"error": "upstream error"})
        error = {"message": "upstream provider error", "code": fault.error_code}
        return web.json_response({"error": error})
    return None
