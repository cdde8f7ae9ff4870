"""``ollama/<name>``: Ollama's native ``/api/chat`` (non-streaming).

Token counts come from ``prompt_eval_count``/``eval_count``. The connection limit is keyed by
the endpoint URL: two Ollama hosts must not share one slot pool.
"""

from __future__ import annotations

from typing import Any

from mapelite.providers.base import GenerateRequest, GenerateResponse
from mapelite.providers.errors import BadResponseError
from mapelite.providers.http import as_int, snippet
from mapelite.providers.openai_compat import OpenAICompatAPI
from mapelite.providers.reasoning import ollama_think, separate_thinking


class OllamaAPI(OpenAICompatAPI):
    provider = "ollama"
    path = "/api/chat"
    check_path = "/api/tags"  # the local model list: no key, no model loaded

    def __init__(self, base_url: str, *, max_connections: int = 4, name: str | None = None) -> None:
        super().__init__(base_url, api_key=None, max_connections=max_connections, name=name)
        self._endpoint_name = name

    def key_setting(self) -> str | None:
        return None

    def payload(self, request: GenerateRequest) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": request.temperature}
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [m.model_dump() for m in request.messages],
            "stream": False,
            "options": options,
        }
        if request.reasoning is not None:
            body["think"] = ollama_think(request.reasoning)
        return body

    def parse(self, body: dict[str, Any]) -> GenerateResponse:
        """Ollama's reply: thinking from ``message.thinking`` (``think`` sent) or ``<think>``
        blocks in the content, apart from the answer; ``done_reason: "length"`` is a cut-off
        answer."""
        self.raise_for_error_object(body)
        message = body.get("message")
        if not isinstance(message, dict):
            raise BadResponseError(
                f"ollama returned no message: {snippet(str(body))}", provider=self.provider
            )
        content = message.get("content")
        reported = message.get("thinking")
        answer, thinking = separate_thinking(
            content if isinstance(content, str) else "",
            reported if isinstance(reported, str) and reported else None,
        )
        reason = body.get("done_reason")
        response = GenerateResponse(
            text=answer,
            tokens_in=as_int(body.get("prompt_eval_count")),
            tokens_out=as_int(body.get("eval_count")),
            thinking=thinking,
            finish_reason=reason if isinstance(reason, str) and reason else None,
        )
        return self.checked(response)

    def connection_key(self) -> str:
        if self._endpoint_name is not None:
            return self._endpoint_name
        return f"ollama:{self.base_url}"
